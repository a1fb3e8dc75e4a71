// What failing store calls say about the disk and the database file. A full disk or a damaged file
// shows only in the calls it fails, so those are noted here and health reads the latest: a store
// that refuses every write must not leave the instance reporting HEALTHY.
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_NOTADB = 26;

export type StoreFault = "full" | "damaged";

/** How long a noted fault keeps the store component unwell after the last failing call. */
export const STORE_FAULT_WINDOW_MS = 60_000;

let latest: { fault: StoreFault; at: number } | undefined;

/** The fault a node:sqlite error stands for, if any (errcode: SQLite's primary result code). */
export function storeFaultOf(err: unknown): StoreFault | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  if (typeof code !== "number") return undefined;
  const primary = code & 0xff; // extended codes keep the primary one in their low byte
  if (primary === SQLITE_FULL) return "full";
  if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) return "damaged";
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

/** The fault seen in the last STORE_FAULT_WINDOW_MS, if any. */
export function recentStoreFault(now = Date.now()): StoreFault | undefined {
  return latest && now - latest.at <= STORE_FAULT_WINDOW_MS ? latest.fault : undefined;
}

/** Tests: forget what was noted. */
export function resetStoreFaults(): void {
  latest = undefined;
}
