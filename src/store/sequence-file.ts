// Where event sequence numbers stand across runs, in a small file of its own in the data
// directory, written in place: rewriting bytes a file already holds needs no free space (on
// ext4, xfs, tmpfs; a copy-on-write file system such as btrfs or ZFS allocates anyway), so a
// reservation still succeeds on a full disk (a row in the SQLite WAL would need a new frame, and a
// run numbering events past what it could persist could hand those numbers out again after a
// crash). It also records where a run stopped when it stopped cleanly, so that a client resuming
// from that run is told exactly what it missed.
//
// Two 40-byte slots, written alternately and each checked by CRC-32, so a write torn by a crash
// leaves the other slot intact:
//   magic u32 | generation u32 | reserved f64 | firstOfRun f64 | lastUsed f64 (-1: running, or
//   did not stop cleanly) | crc32 u32 | padding
import { closeSync, constants, fdatasyncSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { firstLine } from "../errors.ts";
import { DataDirError, PRIVATE_FILE_MODE } from "./database.ts";

const MAGIC = 0x53455351; // "SESQ"
const SLOT = 40;
const BODY = SLOT - 4;
const RUNNING = -1;
const FILE = "event-sequences";

/** Where an earlier run of the server left the event sequence numbers. */
export interface PreviousRun {
  /** The first sequence that run could use. */
  first: number;
  /** The last sequence it used: exact when it stopped cleanly, otherwise the last it had reserved. */
  last: number;
  /** Whether `last` is exact (the run stopped cleanly and said where). */
  exact: boolean;
}

interface Marks {
  generation: number;
  reserved: number;
  firstOfRun: number;
  lastUsed: number;
}

function decode(buf: Buffer, at: number): Marks | undefined {
  if (buf.length < at + SLOT || buf.readUInt32LE(at) !== MAGIC) return undefined;
  if (crc32(buf.subarray(at, at + BODY)) !== buf.readUInt32LE(at + BODY)) return undefined;
  return {
    generation: buf.readUInt32LE(at + 4),
    reserved: buf.readDoubleLE(at + 8),
    firstOfRun: buf.readDoubleLE(at + 16),
    lastUsed: buf.readDoubleLE(at + 24),
  };
}

function encode(m: Marks): Buffer {
  const buf = Buffer.alloc(SLOT);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(m.generation >>> 0, 4);
  buf.writeDoubleLE(m.reserved, 8);
  buf.writeDoubleLE(m.firstOfRun, 16);
  buf.writeDoubleLE(m.lastUsed, 24);
  buf.writeUInt32LE(crc32(buf.subarray(0, BODY)), BODY);
  return buf;
}

/** The valid slots of the file open at `fd`, and the bytes they were read from. */
function readSlots(fd: number): { slots: Marks[]; bytes: Buffer } {
  const buf = Buffer.alloc(2 * SLOT);
  const bytes = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  return { slots: [decode(bytes, 0), decode(bytes, SLOT)].filter((m): m is Marks => m !== undefined), bytes };
}

/**
 * Whether the data directory's sequence file records numbers an earlier run used (read only: a
 * missing, unreadable or damaged file says no, and opening it later says why).
 */
export function numbersRecorded(dataDir: string): boolean {
  let fd: number;
  try {
    fd = openSync(join(dataDir, FILE), constants.O_RDONLY);
  } catch {
    return false;
  }
  try {
    return readSlots(fd).slots.some((m) => m.reserved > 0);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Where older releases keep the reservation (a row in the database). */
export interface ReservationMirror {
  reserved(): number;
  reserve(upTo: number): void;
}

export class SequenceFile {
  readonly #fd: number;
  #marks: Marks;
  /** The run before this one, if any numbers were ever used in this data directory. */
  readonly previous: PreviousRun | undefined;

  readonly #mirror: ReservationMirror;
  /** Whether this run has reserved numbers (and so has its own record in the file). */
  #numbered = false;

  /**
   * Opens (or creates) the file and marks this run as running, so that a crash is recognised.
   * `mirror`: the reservation row older releases keep in the database. It is kept up to date as
   * well as it can be (a release rolled back to numbers after it), and read at each open: when it
   * is ahead of the file (a rolled-back release numbered past it, or the file was lost), it wins.
   */
  constructor(path: string, mirror: ReservationMirror) {
    this.#mirror = mirror;
    this.#fd = openSync(path, constants.O_RDWR | constants.O_CREAT, PRIVATE_FILE_MODE); // never truncated
    const { slots, bytes } = readSlots(this.#fd);
    let last = slots.sort((a, b) => b.generation - a.generation)[0];
    if (!last) {
      // Numbering again from an older reservation could repeat numbers clients hold: refuse.
      if (bytes.some((b) => b !== 0)) {
        closeSync(this.#fd);
        throw new Error(`${path} is damaged (no valid record of the event sequence numbers); restore it from a backup`);
      }
      last = { generation: 0, reserved: 0, firstOfRun: 1, lastUsed: RUNNING };
      this.#preallocate();
    }
    const row = mirror.reserved();
    if (row > last.reserved) last = { ...last, reserved: row, lastUsed: RUNNING }; // where it stopped is not known
    this.previous = last.reserved > 0
      ? { first: last.firstOfRun, last: last.lastUsed >= 0 ? last.lastUsed : last.reserved, exact: last.lastUsed >= 0 }
      : undefined;
    // Nothing is written until this run reserves numbers (its first reserve() marks it running): a
    // start that fails before then (a busy port) leaves the last run's record as it was, so that
    // run's clean stop is not mistaken for a crash.
    this.#marks = { generation: last.generation, reserved: last.reserved, firstOfRun: last.reserved + 1, lastUsed: RUNNING };
  }

  /** The first sequence this run may use. */
  get firstSequence(): number {
    return this.#marks.firstOfRun;
  }

  /** Persists that sequences up to `upTo` may be used (before they are). Throws if it cannot. */
  reserve(upTo: number): void {
    this.#marks = { ...this.#marks, reserved: upTo, lastUsed: RUNNING };
    this.#write();
    this.#numbered = true;
    try {
      this.#mirror.reserve(upTo);
    } catch {
      /* the file is the record; the row only serves a rolled-back release (a full disk refuses it) */
    }
  }

  /**
   * Records the last sequence this run used, at a clean stop; a later reserve() undoes it. A run
   * that numbered nothing leaves the record of the run before it.
   */
  stopped(lastUsed: number): void {
    if (!this.#numbered) return;
    this.#marks = { ...this.#marks, lastUsed };
    this.#write();
  }

  close(): void {
    closeSync(this.#fd);
  }

  /** Both slots exist from the start, so later writes only overwrite bytes the file holds. */
  #preallocate(): void {
    writeSync(this.#fd, Buffer.alloc(2 * SLOT), 0, 2 * SLOT, 0);
    fdatasyncSync(this.#fd);
  }

  #write(): void {
    this.#marks.generation = (this.#marks.generation + 1) >>> 0;
    writeSync(this.#fd, encode(this.#marks), 0, SLOT, (this.#marks.generation % 2) * SLOT);
    fdatasyncSync(this.#fd);
  }
}

/** The data directory's sequence file; a failure to use it names `server.data_dir`, like the store's. */
export function openSequenceFile(dataDir: string, mirror: ReservationMirror): SequenceFile {
  try {
    return new SequenceFile(join(dataDir, FILE), mirror);
  } catch (err) {
    throw new DataDirError(dataDir, firstLine(err), err);
  }
}
