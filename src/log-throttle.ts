// Diagnostics that a remote party can trigger (a collector refusing exports, a client sending
// headers a library rejects, a caller asking for more than it holds) must not grow the log with
// the traffic: each kind of line is written at most once per window, and the next one written
// says how many were dropped.
import type { Logger } from "./log.ts";

type Fields = Record<string, unknown>;

export interface ThrottleOptions {
  /** Least time between two lines of one kind (default one minute). */
  windowMs?: number;
  /**
   * How many kinds are told apart (default 64): past that, new kinds share one bucket, so kinds
   * derived from what callers send (a principal, a message's first words) cannot grow the map.
   */
  maxKinds?: number;
  now?: () => number;
}

/**
 * Writes `log.warn(msg, fields)` at most once per window for each `kind`; answers whether it wrote
 * (a caller summing something over the dropped calls starts again from zero then).
 */
export function throttledWarn(log: Logger, options: ThrottleOptions = {}): (kind: string, msg: string, fields?: Fields) => boolean {
  const { windowMs = 60_000, maxKinds = 64, now = Date.now } = options;
  const state = new Map<string, { last: number; dropped: number }>();
  return (kind, msg, fields) => {
    const t = now();
    const key = state.has(kind) || state.size < maxKinds ? kind : "\0overflow";
    const s = state.get(key);
    if (s && t - s.last < windowMs) {
      s.dropped++;
      return false;
    }
    log.warn(msg, { ...fields, similar_dropped: s?.dropped ?? 0 });
    state.set(key, { last: t, dropped: 0 });
    return true;
  };
}
