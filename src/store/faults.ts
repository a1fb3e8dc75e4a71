// What failing store calls say about the disk and the database file. A full disk or a damaged file
// shows only in the calls it fails, so those are noted here and health reads the latest: a store
// that refuses every write must not leave the instance reporting HEALTHY. So must a data directory
// removed under the running server (its writes go to unlinked files).
const SQLITE_READONLY = 8;
export const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

export type StoreFault = "full" | "damaged";

/** How long a noted fault keeps the store component unwell after the last failing call. */
export const STORE_FAULT_WINDOW_MS = 60_000;

let latest: { fault: StoreFault; at: number } | undefined;
/** Why the open store's files left the data directory (store/database.ts storeRemoved), once seen: for good. */
let removed: string | undefined;
/** Looks at the open store's files; false once its database is closed. */
const probes = new Set<() => boolean>();

/** The fault a node:sqlite error stands for, if any (errcode: SQLite's primary result code). */
export function storeFaultOf(err: unknown): StoreFault | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  if (typeof code !== "number") return undefined;
  const primary = code & 0xff; // extended codes keep the primary one in their low byte
  if (primary === SQLITE_FULL) return "full";
  if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) return "damaged";
  // A store whose files were removed is made read-only: its refused writes are that damage.
  if (primary === SQLITE_READONLY && removed !== undefined) return "damaged";
  return undefined;
}

const listeners = new Set<(fault: StoreFault) => void>();

/**
 * Hears each change of the fault in effect, as the failing call notes it: health need not wait for
 * its next look (the call that found the disk full is answered before it). Returns the unsubscribe.
 */
export function onStoreFault(listener: (fault: StoreFault) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Notes the fault `err` stands for (if any) and returns it. */
export function noteStoreFault(err: unknown, now = Date.now()): StoreFault | undefined {
  const fault = storeFaultOf(err);
  if (!fault) return undefined;
  const before = recentStoreFault(now);
  // A damaged file outranks a full disk: it needs an operator either way, but more urgently.
  if (!(before === "damaged" && fault === "full")) latest = { fault, at: now };
  if (recentStoreFault(now) !== before) for (const listener of listeners) listener(latest!.fault);
  return fault;
}

/** The fault seen in the last STORE_FAULT_WINDOW_MS, if any; a removed store is damaged for good. */
export function recentStoreFault(now = Date.now()): StoreFault | undefined {
  if (removed !== undefined) return "damaged";
  return latest && now - latest.at <= STORE_FAULT_WINDOW_MS ? latest.fault : undefined;
}

/** openDatabase: `probe` looks whether the store's files are still the data directory's (storeGone asks). */
export function watchStore(probe: () => boolean): void {
  probes.add(probe);
}

const removedListeners = new Set<(why: string) => void>();

/** Hears, once, that the open store's files left the data directory (to log it). Returns the unsubscribe. */
export function onStoreRemoved(listener: (why: string) => void): () => void {
  removedListeners.add(listener);
  return () => removedListeners.delete(listener);
}

/** Notes that the open store's files left the data directory (`why` says how); listeners hear "damaged" once. */
export function noteStoreRemoved(why: string): void {
  if (removed !== undefined) return;
  const before = recentStoreFault();
  removed = why;
  for (const listener of removedListeners) listener(why);
  if (before !== "damaged") for (const listener of listeners) listener("damaged");
}

/**
 * Why the open store's files are no longer the data directory's, if so: looks now (a few stat
 * calls), so that a HealthCheck or the monitor's tick sees a directory removed since the last write.
 */
export function storeGone(): string | undefined {
  for (const probe of probes) if (!probe()) probes.delete(probe);
  return removed;
}

/** Tests: forget what was noted. */
export function resetStoreFaults(): void {
  latest = undefined;
  removed = undefined;
  probes.clear();
}
