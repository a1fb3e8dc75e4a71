// Diagnostics that a remote party can trigger (a collector refusing exports, a client sending
// headers a library rejects) must not grow the log with the traffic: each kind of line is
// written at most once per window, and the next one written says how many were dropped.
import type { Logger } from "./log.ts";

type Fields = Record<string, unknown>;

/** Writes `log.warn(msg, fields)` at most once per `windowMs` for each `kind` (a small, fixed set). */
export function throttledWarn(log: Logger, windowMs = 60_000, now: () => number = Date.now): (kind: string, msg: string, fields?: Fields) => void {
  const state = new Map<string, { last: number; dropped: number }>();
  return (kind, msg, fields) => {
    const t = now();
    const s = state.get(kind);
    if (s && t - s.last < windowMs) {
      s.dropped++;
      return;
    }
    log.warn(msg, { ...fields, similar_dropped: s?.dropped ?? 0 });
    state.set(kind, { last: t, dropped: 0 });
  };
}
