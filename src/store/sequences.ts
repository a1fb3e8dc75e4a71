// The reservation row of event sequence numbers as older releases kept it. The record is now the
// data directory's event-sequences file (sequence-file.ts); this row is still read at each start
// and written at each reservation, best effort, so that a release rolled back to, or a lost file,
// never numbers events again from an older point.
import type { DatabaseSync, StatementSync } from "node:sqlite";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS event_sequence (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  reserved INTEGER NOT NULL
)`;

export class SequenceRepository {
  readonly #get: StatementSync;
  readonly #set: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(SCHEMA);
    this.#get = db.prepare("SELECT reserved FROM event_sequence WHERE id = 1");
    this.#set = db.prepare("INSERT INTO event_sequence (id, reserved) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET reserved = excluded.reserved");
  }

  /** The highest sequence any earlier process may have used (0 on a new store). */
  reserved(): number {
    return (this.#get.get() as { reserved: number } | undefined)?.reserved ?? 0;
  }

  reserve(upTo: number): void {
    this.#set.run(upTo);
  }
}
