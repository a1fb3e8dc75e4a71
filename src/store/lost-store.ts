// A database with no tables beside a sequence file that records an earlier run: that run kept its
// scripts, tools, migrations and registrations in a database now missing, emptied or cut off from
// its -wal (a dropped WAL leaves the one page the .db file held). Served as a new store, every
// acknowledged script would be NOT_FOUND with health HEALTHY; the start is refused instead.
import type { DatabaseSync } from "node:sqlite";
import { DataDirError } from "./database.ts";
import { numbersRecorded } from "./sequence-file.ts";

/** Throws DataDirError (closing `db`) when `db` has no tables but `dataDir` was used before. */
export function refuseLostStore(db: DatabaseSync, dataDir: string): void {
  const { n } = db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number };
  if (n > 0 || !numbersRecorded(dataDir)) return;
  db.close();
  throw new DataDirError(
    dataDir,
    "scriptengine.db holds no tables, but event-sequences shows an earlier run stored data here (the database or its -wal was lost); " +
      "restore both from a backup, or empty the directory to start afresh",
    undefined,
  );
}
