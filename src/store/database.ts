// The embedded store: one SQLite database (Node's built-in node:sqlite) in the data directory,
// WAL mode so readers never wait for the writer. Each repository owns its tables and creates
// them itself; `transaction` gives all-or-nothing writes (a crash leaves the old or the new state).
import { accessSync, constants, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { firstLine, invalidArgument } from "../errors.ts";
import { storeFaultOf } from "./faults.ts";

/** The data directory cannot hold this server's store: one line naming `server.data_dir`. */
export class DataDirError extends Error {
  readonly key = "server.data_dir";
  constructor(dataDir: string, why: string, cause: unknown) {
    super(`cannot use ${dataDir} (server.data_dir): ${why}`, { cause });
    this.name = "DataDirError";
  }
}

/**
 * Opens the store, held exclusively for this process's life (the OS releases the lock if the
 * process dies): a second server on the same directory is refused at once, rather than serving
 * from a store another process changes under its caches and byte counts.
 */
export function openDatabase(dataDir: string, file = "scriptengine.db"): DatabaseSync {
  let db: DatabaseSync;
  try {
    makeDirectory(dataDir);
  } catch (err) {
    throw new DataDirError(dataDir, firstLine(err), err);
  }
  try {
    db = new DatabaseSync(join(dataDir, file));
  } catch (err) {
    throw new DataDirError(dataDir, unwritable(dataDir, file) ?? firstLine(err), err);
  }
  try {
    // In exclusive mode the WAL index lives in this process's memory and the first transaction
    // takes the lock for good; without a busy timeout yet, a held lock fails at once.
    db.exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; BEGIN EXCLUSIVE; COMMIT;");
    readTables(db);
  } catch (err) {
    db.close();
    const why = /locked|busy/i.test(firstLine(err))
      ? "another running server holds it (one server per data directory)"
      : (unwritable(dataDir, file) ?? `${file}: ${firstLine(err)}${damagedNote(err)}`);
    throw new DataDirError(dataDir, why, err);
  }
  db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  return db;
}

/**
 * Walks the pages of every table (not its indexes, nor values overflowing a page): a damaged table
 * page is otherwise never read while its index is intact and says there are no rows, so a tools
 * or registry table damaged at start was served as empty. A damaged index is left to the calls
 * that use it (DATA_LOSS, health UNHEALTHY), as is a damaged page of a value.
 */
function readTables(db: DatabaseSync): void {
  const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all() as { name: string }[];
  for (const { name } of tables) db.prepare(`SELECT count(*) FROM "${name.replaceAll('"', '""')}" NOT INDEXED`).get();
}

/**
 * Why the store cannot be written, if that is why it failed: SQLite opens a file it may not write
 * read-only and then fails to lock it, saying "disk I/O error" of a healthy disk.
 */
const DENIED = new Set(["EACCES", "EPERM", "EROFS"]);

function unwritable(dataDir: string, file: string): string | undefined {
  for (const path of [dataDir, join(dataDir, file), join(dataDir, `${file}-wal`)]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (err) {
      if (DENIED.has((err as NodeJS.ErrnoException).code ?? "")) return `not writable: ${firstLine(err)}`;
    }
  }
  return undefined;
}

const damagedNote = (err: unknown) => (storeFaultOf(err) === "damaged" ? "; restore it from a backup" : "");

/**
 * mkdir -p, one level at a time, each tried at most twice: Node's `recursive: true` retries
 * forever where a parent exists but refuses children (/proc/nope), spinning deaf to signals.
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return;
    if (code !== "ENOENT" || dirname(dir) === dir) throw err;
  }
  makeDirectory(dirname(dir));
  mkdirSync(dir);
}

/**
 * Runs a step of opening the store (reading what earlier runs kept): a database that cannot be
 * read stops the server with one line naming `server.data_dir`, not a stack.
 */
export function whileOpening<T>(dataDir: string, fn: () => T, file = "scriptengine.db"): T {
  try {
    return fn();
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== "ERR_SQLITE_ERROR") throw err;
    throw new DataDirError(dataDir, `${file}: ${firstLine(err)}${damagedNote(err)}`, err);
  }
}

/** Runs `fn` in one IMMEDIATE transaction: committed if it returns, rolled back if it throws. */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    // SQLite has already rolled back after some errors (a full disk): a ROLLBACK then would throw
    // "no transaction is active" and hide the cause.
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

/** Opaque page tokens: base64url JSON of the last key seen, so pages stay stable under inserts. */
export function encodePageToken(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

export function decodePageToken<T>(token: string): T | undefined {
  if (!token) return undefined;
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * What one page of a listing may take, whatever page_size asks: under the 4 MiB gRPC clients
 * receive by default, and bounded work for the server to build.
 */
export const MAX_PAGE_BYTES = 2 * 1024 * 1024;

/**
 * The first of `items` (fetched as page size + 1) that fit `size` and MAX_PAGE_BYTES (at least
 * one), and whether more follow.
 */
export function pageWithin<T>(items: T[], size: number, bytesOf: (item: T) => number): { page: T[]; more: boolean } {
  let bytes = 0;
  let n = 0;
  while (n < Math.min(size, items.length)) {
    bytes += bytesOf(items[n]!);
    if (n > 0 && bytes > MAX_PAGE_BYTES) break;
    n++;
  }
  return { page: items.slice(0, n), more: items.length > n };
}

/**
 * page_size: 0 means the default, past max is capped; a negative one is INVALID_ARGUMENT naming
 * page_size, as DiscoverServices answers (registry.ts), so every listing keeps one contract.
 */
export function pageSizeOf(requested: number, fallback = 50, max = 1000): number {
  if (!Number.isInteger(requested) || requested < 0) throw invalidArgument("page_size", "page_size must be >= 0");
  return requested === 0 ? fallback : Math.min(requested, max);
}
