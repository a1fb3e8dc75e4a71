// Which expiries were announced although a full disk kept their rows: without a record, the next
// start loads those rows, finds them expired and announces them (EXPIRED, ServiceUnregistered)
// again. The record is a small file of the data directory, made at its full size while there is
// room and then written in place, which needs no free space (as the event-sequences file: on
// ext4, xfs, tmpfs; not on a copy-on-write file system). Two slots written alternately, each
// checked by CRC-32, so a write torn by a crash leaves the other; each holds up to CAPACITY marks,
// a mark being the first 16 bytes of SHA-256 of the service id and lease id (a registration made
// again has a new lease, so its row never matches). Expiries past CAPACITY, or kept while the file
// could not be made, are announced again after a restart, as before.
import { createHash } from "node:crypto";
import { closeSync, constants, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { PRIVATE_FILE_MODE } from "../store/database.ts";

const FILE = "registry-expired";
const MAGIC = 0x52455850; // "REXP"
const SLOT = 16 * 1024;
const HEADER = 16; // magic u32 | generation u32 | count u32 | crc32 u32 (of the slot with crc 0)
const MARK = 16;
/** Marks one slot holds. */
export const CAPACITY = (SLOT - HEADER) / MARK;

export interface ExpiredLease {
  serviceId: string;
  leaseId: string;
}

/** Where the registry records the expiries it announced but could not remove from the store. */
export interface ExpiredMarks {
  /** Whether this lease's expiry was announced (its row was kept). */
  announced(lease: ExpiredLease): boolean;
  /** Whether any expiry is recorded. */
  readonly any: boolean;
  /** Records exactly these (the first CAPACITY); throws if the file cannot be written. */
  record(leases: ExpiredLease[]): void;
}

/**
 * Writes all of `length` bytes at `position`: write(2) on a nearly full disk writes what fits and
 * says how much, and only the next call fails (ENOSPC). A short write taken for a whole one left
 * the file short (made whole, it was not) or a slot torn, with no error to say so.
 */
function writeAll(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
  for (let done = 0; done < length; ) done += writeSync(fd, buf, offset + done, length - done, position + done);
}

const markOf = (l: ExpiredLease) => createHash("sha256").update(`${l.serviceId}\0${l.leaseId}`).digest().subarray(0, MARK).toString("hex");

function decode(buf: Buffer, at: number): { generation: number; marks: Set<string> } | undefined {
  if (buf.length < at + SLOT || buf.readUInt32LE(at) !== MAGIC) return undefined;
  const slot = Buffer.from(buf.subarray(at, at + SLOT));
  const crc = slot.readUInt32LE(12);
  slot.writeUInt32LE(0, 12);
  const count = slot.readUInt32LE(8);
  if (crc32(slot) !== crc || count > CAPACITY) return undefined;
  const marks = new Set<string>();
  for (let i = 0; i < count; i++) marks.add(slot.subarray(HEADER + i * MARK, HEADER + (i + 1) * MARK).toString("hex"));
  return { generation: slot.readUInt32LE(4), marks };
}

function encode(generation: number, marks: string[]): Buffer {
  const slot = Buffer.alloc(SLOT);
  slot.writeUInt32LE(MAGIC, 0);
  slot.writeUInt32LE(generation >>> 0, 4);
  slot.writeUInt32LE(marks.length, 8);
  marks.forEach((m, i) => slot.write(m, HEADER + i * MARK, "hex"));
  slot.writeUInt32LE(crc32(slot), 12);
  return slot;
}

class MarksFile implements ExpiredMarks {
  readonly #path: string;
  #generation: number;
  #marks: Set<string>;

  constructor(path: string, generation: number, marks: Set<string>) {
    this.#path = path;
    this.#generation = generation;
    this.#marks = marks;
  }

  get any(): boolean {
    return this.#marks.size > 0;
  }

  announced(lease: ExpiredLease): boolean {
    return this.#marks.has(markOf(lease));
  }

  record(leases: ExpiredLease[]): void {
    const marks = leases.slice(0, CAPACITY).map(markOf);
    const generation = (this.#generation + 1) >>> 0;
    const fd = openSync(this.#path, constants.O_RDWR); // never O_CREAT or a truncation: in place
    try {
      writeAll(fd, encode(generation, marks), 0, SLOT, (generation % 2) * SLOT);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#generation = generation;
    this.#marks = new Set(marks);
  }
}

/**
 * The data directory's record, made at its full size if missing or short. Throws when it cannot be
 * made or read (a full disk at the first start): the caller goes on without one.
 */
export function openExpiredMarks(dataDir: string): ExpiredMarks {
  const path = join(dataDir, FILE);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, PRIVATE_FILE_MODE); // as the store's files, whatever the umask
  try {
    const buf = Buffer.alloc(2 * SLOT);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (fstatSync(fd).size < 2 * SLOT) {
      // Made whole before any mark is written, so that later writes only overwrite its bytes.
      writeAll(fd, buf, n, 2 * SLOT - n, n);
      fdatasyncSync(fd);
    }
    const slots = [decode(buf, 0), decode(buf, SLOT)].filter((s) => s !== undefined);
    const last = slots.sort((a, b) => b.generation - a.generation)[0];
    return new MarksFile(path, last?.generation ?? 0, last?.marks ?? new Set());
  } finally {
    closeSync(fd);
  }
}
