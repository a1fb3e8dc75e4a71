// Diagnostics that a remote party can trigger (a collector refusing exports, a client sending
// headers a library rejects, a caller asking for more than it holds) must not grow the log with
// the traffic: each kind of line is written at most once per window, and the next one written
// says how many were dropped. Lines dropped in a window are told when it ends, by the last of them
// with the count of the others: a burst that stops within the window is not left looking like one
// event, and lines written plus their similar_dropped make the number of calls. A window that has
// not ended when the server stops is told then (flushThrottled): its timer would never fire.
import type { Logger } from "./log.ts";

type Fields = Record<string, unknown>;

/**
 * Test only: the window (ms) of every throttle given none, so that a test through the server sees a
 * window end without waiting a minute. Not a configuration key.
 */
export const TEST_LOG_WINDOW_ENV = "SE_TEST_LOG_WINDOW_MS";
const defaultWindowMs = (): number => {
  const ms = Number(process.env[TEST_LOG_WINDOW_ENV] ?? 0);
  return Number.isFinite(ms) && ms > 0 ? ms : 60_000;
};

export interface ThrottleOptions {
  /** Least time between two lines of one kind (default one minute). */
  windowMs?: number;
  /**
   * How many kinds are told apart (default 64): past that, new kinds share one bucket, so kinds
   * derived from what callers send (a principal, a message's first words) cannot grow the map.
   */
  maxKinds?: number;
  now?: () => number;
  /**
   * Called after each line written, at once or at a window's end (a caller summing something
   * over the dropped calls, in the fields it passes, starts again from zero then).
   */
  onWrite?: (kind: string) => void;
}

interface KindState {
  last: number;
  dropped: number;
  /** The last line dropped, written with the count when the window ends. */
  pending?: { kind: string; msg: string; fields?: Fields };
  timer?: NodeJS.Timeout;
  /** Writes the pending line now (the timer's callback); in `untold` while the timer runs. */
  tell?: () => void;
}

/** Every throttle's windows still holding a dropped line to tell, in this process. */
const untold = new Set<() => void>();

/**
 * Writes now, with its count, each line a window still holds for its end: called as the server
 * stops, since an unref'd timer does not keep the process alive to tell it. Every throttle of the
 * process is told (they are few, and each is told at most once per window anyway).
 */
export function flushThrottled(): void {
  for (const tell of [...untold]) tell();
}

/**
 * Writes `log.warn(msg, fields)` at most once per window for each `kind`; answers whether it wrote
 * (a caller summing something over the dropped calls starts again from zero then). When a window
 * in which lines were dropped ends, the last of them is written, its `similar_dropped` the others.
 */
export function throttledWarn(log: Logger, options: ThrottleOptions = {}): (kind: string, msg: string, fields?: Fields) => boolean {
  const { windowMs = defaultWindowMs(), maxKinds = 64, now = Date.now, onWrite } = options;
  const state = new Map<string, KindState>();
  const write = (key: string, kind: string, msg: string, fields: Fields | undefined, dropped: number) => {
    const s = state.get(key);
    if (s?.timer) clearTimeout(s.timer);
    if (s?.tell) untold.delete(s.tell);
    log.warn(msg, { ...fields, similar_dropped: dropped });
    state.set(key, { last: now(), dropped: 0 });
    onWrite?.(kind);
  };
  return (kind, msg, fields) => {
    const t = now();
    const key = state.has(kind) || state.size < maxKinds ? kind : "\0overflow";
    const s = state.get(key);
    if (s && t - s.last < windowMs) {
      s.dropped++;
      s.pending = { kind, msg, fields };
      if (!s.timer) {
        // The line told is one of those dropped: the count is of the others.
        const tell = () => {
          if (s.pending) write(key, s.pending.kind, s.pending.msg, s.pending.fields, s.dropped - 1);
        };
        s.tell = tell;
        untold.add(tell);
        s.timer = setTimeout(tell, s.last + windowMs - t).unref();
      }
      return false;
    }
    write(key, kind, msg, fields, s?.dropped ?? 0);
    return true;
  };
}
