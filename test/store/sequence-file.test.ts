// The event sequence file: where each run's numbers start, where a cleanly stopped run's ended,
// and a crash recognised as one (its numbers then count up to what it had reserved).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSequenceFile, SequenceFile } from "../../src/store/sequence-file.ts";
import { DataDirError } from "../../src/store/database.ts";

const fresh = () => join(mkdtempSync(join(tmpdir(), "seqfile-")), "event-sequences");
/** The database's reservation row, in memory. */
const row = (reserved = 0) => ({ value: reserved, reserved() { return this.value; }, reserve(n: number) { this.value = n; } });
const none = () => row(0);

describe("SequenceFile", () => {
  it("continues numbering after each run, exact about a clean stop, an upper bound after a crash", () => {
    const path = fresh();
    const a = new SequenceFile(path, none());
    expect([a.firstSequence, a.previous]).toEqual([1, undefined]);
    a.reserve(10_000);
    a.stopped(42);
    a.close();

    const b = new SequenceFile(path, none());
    expect(b.previous).toEqual({ first: 1, last: 42, exact: true });
    expect(b.firstSequence).toBe(10_001);
    b.reserve(20_000);
    b.close(); // no stopped(): a crash

    const c = new SequenceFile(path, none());
    expect(c.previous).toEqual({ first: 10_001, last: 20_000, exact: false });
    expect(c.firstSequence).toBe(20_001);
    c.stopped(20_000); // a run that used none of its own numbers
    c.reserve(30_000); // ...and then did: the clean mark no longer holds
    c.close();
    expect(new SequenceFile(path, none()).previous).toEqual({ first: 20_001, last: 30_000, exact: false });
  });

  it("a run that fails to start, or numbers nothing, leaves the last run's clean stop as it was", () => {
    const path = fresh();
    const a = new SequenceFile(path, none());
    a.reserve(10_000);
    a.stopped(57);
    a.close();
    new SequenceFile(path, none()).close(); // a start that failed (a busy port) before numbering anything
    const idle = new SequenceFile(path, none());
    idle.stopped(10_000); // a run that stopped cleanly without a single event
    idle.close();
    const c = new SequenceFile(path, none());
    expect(c.previous).toEqual({ first: 1, last: 57, exact: true });
    expect(c.firstSequence).toBe(10_001);
  });

  it("keeps the database's row in step, and takes it when it is ahead (an older release, or a lost file)", () => {
    const path = fresh();
    const legacy = row(5000); // a data directory an older release numbered events in
    const a = new SequenceFile(path, legacy);
    expect(a.firstSequence).toBe(5001);
    expect(a.previous).toEqual({ first: 1, last: 5000, exact: false });
    a.reserve(15_000);
    expect(legacy.value).toBe(15_000); // a release rolled back to would number after it
    a.stopped(5010);
    a.close();
    legacy.value = 25_000; // ...as it did: it numbered past the file
    const b = new SequenceFile(path, legacy);
    expect(b.firstSequence).toBe(25_001);
    expect(b.previous).toEqual({ first: 5001, last: 25_000, exact: false });
    // A row that cannot be written (a full disk) does not stop the reservation: the file is the record.
    b.reserve(35_000);
    b.close();
    const failing = { reserved: () => 0, reserve: () => { throw new Error("disk full"); } };
    const c = new SequenceFile(path, failing);
    expect(c.firstSequence).toBe(35_001);
    expect(() => c.reserve(45_000)).not.toThrow();
    c.close();
    // The file lost (emptied): the row still says where numbering stood.
    writeFileSync(path, "");
    expect(new SequenceFile(path, row(45_000)).firstSequence).toBe(45_001);
  });

  it("a write torn by a crash leaves the other record; a file with no valid record stops the server", () => {
    const path = fresh();
    const a = new SequenceFile(path, none());
    a.reserve(100);
    a.stopped(7);
    a.close();
    // The newest record is the last slot written; tear it, and the one before (reserve) is read.
    const bytes = readFileSync(path);
    const torn = Buffer.from(bytes);
    const newest = torn.readUInt32LE(4) > torn.readUInt32LE(44) ? 0 : 40;
    torn[newest + 9] ^= 0xff;
    writeFileSync(path, torn);
    expect(new SequenceFile(path, none()).previous).toEqual({ first: 1, last: 100, exact: false });

    const dir = mkdtempSync(join(tmpdir(), "seqfile-"));
    writeFileSync(join(dir, "event-sequences"), Buffer.alloc(80, 0x41));
    expect(() => openSequenceFile(dir, none())).toThrow(DataDirError);
    expect(() => openSequenceFile(dir, none())).toThrow(/event-sequences is damaged .*server\.data_dir|server\.data_dir.*event-sequences is damaged/);
  });
});
