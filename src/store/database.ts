// The embedded store: one SQLite database (Node's built-in node:sqlite) in the data directory,
// WAL mode so readers never wait for the writer. Each repository owns its tables and creates
// them itself; `transaction` gives all-or-nothing writes (a crash leaves the old or the new state).
import { accessSync, closeSync, constants, mkdirSync, openSync, statSync, type Stats } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Code, type ConnectError } from "@connectrpc/connect";
import { firstLine, invalidArgument, serviceError } from "../errors.ts";
import { noteStoreFault, noteStoreRemoved, SQLITE_CORRUPT, storeFaultOf, watchStore } from "./faults.ts";

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
    const culprit = notADirectory(dataDir);
    throw new DataDirError(dataDir, culprit === undefined ? firstLine(err) : culprit === dataDir ? "it is not a directory" : `${culprit} is not a directory`, err);
  }
  // SQLite says only "unable to open database file" (or "disk I/O error" of the -wal) of a
  // directory there, and a FIFO would hold the open forever.
  for (const name of [file, `${file}-wal`]) {
    let st: Stats | undefined;
    try {
      st = statOf(join(dataDir, name));
    } catch {
      st = undefined; // unreadable: SQLite's open says why
    }
    if (st && !st.isFile()) throw new DataDirError(dataDir, `${name} is ${st.isDirectory() ? "a directory" : "not a regular file"}; it must be a regular file (the store's database)`, undefined);
  }
  createPrivate(join(dataDir, file));
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
  // FULL: in WAL mode every commit syncs the -wal before it is acknowledged. NORMAL synced only at
  // checkpoints, so a power loss could drop acknowledged writes and a script version be handed out
  // again with other content.
  db.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  watchFiles(db, dataDir, file);
  return db;
}

/** A path's stats, or undefined when nothing is there (an ancestor that is no directory included). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** The data directory, or its ancestor, that exists but is no directory (mkdir says EEXIST or ENOTDIR). */
function notADirectory(dir: string): string | undefined {
  for (let path = dir; ; path = dirname(path)) {
    let st: Stats | undefined;
    try {
      st = statOf(path);
    } catch {
      return undefined;
    }
    if (st) return st.isDirectory() ? undefined : path;
    if (dirname(path) === path) return undefined;
  }
}

/**
 * The store's files as opened (the database and its -wal, which in exclusive mode lives as long as
 * the connection), and why they are no longer the data directory's, once seen.
 */
interface Watched {
  dataDir: string;
  files: { path: string; dev: number; ino: number }[];
  gone?: string;
}

const watched = new WeakMap<DatabaseSync, Watched>();

function watchFiles(db: DatabaseSync, dataDir: string, file: string): void {
  const files = [];
  for (const path of [join(dataDir, file), join(dataDir, `${file}-wal`)]) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st) files.push({ path, dev: st.dev, ino: st.ino });
  }
  watched.set(db, { dataDir, files });
  watchStore(() => (db.isOpen ? (storeRemoved(db), true) : false));
}

/**
 * Why the open store's files are no longer in its data directory (removed, or replaced by others),
 * if they are not. A removed directory leaves the server writing to unlinked files, lost at exit:
 * once seen, every write is refused (transaction; query_only for the rest) and health is UNHEALTHY.
 */
export function storeRemoved(db: DatabaseSync): string | undefined {
  const w = watched.get(db);
  if (!w || w.gone !== undefined) return w?.gone;
  for (const f of w.files) {
    let st: Stats | undefined;
    try {
      st = statOf(f.path);
    } catch {
      continue; // unreadable now (EACCES): not known to be gone
    }
    if (st && st.dev === f.dev && st.ino === f.ino) continue;
    let dirGone = true;
    try {
      dirGone = !statOf(w.dataDir)?.isDirectory();
    } catch {
      dirGone = false;
    }
    const what = dirGone ? `the data directory ${w.dataDir} was removed` : `${f.path} was ${st ? "replaced" : "removed"}`;
    w.gone = `${what} while the server ran (server.data_dir): writes are refused, as they would be lost; restore the directory from a backup and restart`;
    try {
      db.exec("PRAGMA query_only = ON"); // writes outside transaction() fail too (SQLITE_READONLY)
    } catch {
      /* transaction() refuses them still */
    }
    noteStoreRemoved(w.gone);
    return w.gone;
  }
  return undefined;
}

/** A value read back that is not what was stored: DATA_LOSS naming it, noted as a damaged file (health UNHEALTHY). */
export function damagedValue(what: string, metadata: Record<string, string | number>): ConnectError {
  const cause = Object.assign(new Error(`${what} is damaged`), { errcode: SQLITE_CORRUPT });
  noteStoreFault(cause);
  return serviceError("INTERNAL_ERROR", `${what} is damaged (it no longer matches its source_hash); the server's operator must restore the store from a backup`, {
    code: Code.DataLoss,
    metadata: { resource: "store", ...metadata },
    cause,
  });
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
 * The store holds every script's and tool's source and the event log: its directories are made
 * 0700 and its files 0600, whatever the umask (an existing directory or file keeps its mode).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates the database file 0600 if it is missing; SQLite gives its -wal and -shm files the
 * database's mode. A failure is left to SQLite's open, which says why.
 */
function createPrivate(path: string): void {
  try {
    closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, PRIVATE_FILE_MODE));
  } catch {
    /* there already, or not creatable: the open that follows tells */
  }
}

/**
 * mkdir -p, one level at a time, each tried at most twice: Node's `recursive: true` retries
 * forever where a parent exists but refuses children (/proc/nope), spinning deaf to signals.
 */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && statSync(dir, { throwIfNoEntry: false })?.isDirectory()) return;
    if (code !== "ENOENT" || dirname(dir) === dir) throw err;
  }
  makeDirectory(dirname(dir));
  mkdirSync(dir, { mode: PRIVATE_DIR_MODE });
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
  const gone = storeRemoved(db);
  if (gone) throw serviceError("INTERNAL_ERROR", gone, { code: Code.DataLoss, metadata: { resource: "store" } });
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
