// The event sequence file: where each run's numbers start, where a cleanly stopped run's ended,
// and a crash recognised as one (its numbers then count up to what it had reserved).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSequenceFile, SequenceFile } from "../../src/store/sequence-file.ts";
import { DataDirError } from "../../src/store/database.ts";

const fresh = () => join(mkdtempSync(join(tmpdir(), "seqfile-")), "event-sequences");

describe("SequenceFile", () => {
  it("continues numbering after each run, exact about a clean stop, an upper bound after a crash", () => {
    const path = fresh();
    const a = new SequenceFile(path, () => 0);
    expect([a.firstSequence, a.previous]).toEqual([1, undefined]);
    a.reserve(10_000);
    a.stopped(42);
    a.close();

    const b = new SequenceFile(path, () => 0);
    expect(b.previous).toEqual({ first: 1, last: 42, exact: true });
    expect(b.firstSequence).toBe(10_001);
    b.reserve(20_000);
    b.close(); // no stopped(): a crash

    const c = new SequenceFile(path, () => 0);
    expect(c.previous).toEqual({ first: 10_001, last: 20_000, exact: false });
    expect(c.firstSequence).toBe(20_001);
    c.stopped(20_000); // a run that used none of its own numbers
    c.reserve(30_000); // ...and then did: the clean mark no longer holds
    c.close();
    expect(new SequenceFile(path, () => 0).previous).toEqual({ first: 20_001, last: 30_000, exact: false });
  });

  it("takes an older store's reservation once, when the file does not exist yet", () => {
    const s = new SequenceFile(fresh(), () => 5000);
    expect(s.firstSequence).toBe(5001);
    expect(s.previous).toEqual({ first: 1, last: 5000, exact: false });
  });

  it("a write torn by a crash leaves the other record; a file with no valid record stops the server", () => {
    const path = fresh();
    const a = new SequenceFile(path, () => 0);
    a.reserve(100);
    a.stopped(7);
    a.close();
    // The newest record is the last slot written; tear it, and the one before (reserve) is read.
    const bytes = readFileSync(path);
    const torn = Buffer.from(bytes);
    const newest = torn.readUInt32LE(4) > torn.readUInt32LE(44) ? 0 : 40;
    torn[newest + 9] ^= 0xff;
    writeFileSync(path, torn);
    expect(new SequenceFile(path, () => 0).previous).toEqual({ first: 1, last: 100, exact: false });

    const dir = mkdtempSync(join(tmpdir(), "seqfile-"));
    writeFileSync(join(dir, "event-sequences"), Buffer.alloc(80, 0x41));
    expect(() => openSequenceFile(dir, () => 0)).toThrow(DataDirError);
    expect(() => openSequenceFile(dir, () => 0)).toThrow(/event-sequences is damaged .*server\.data_dir|server\.data_dir.*event-sequences is damaged/);
  });
});
