// How a server stream follows its source: until the source ends, the caller leaves, or the server
// shuts down. Every wait leaves nothing behind once it is over: racing each message against one
// long-lived "stopped" promise would hang a reaction, and with it the message, on that promise for
// as long as the stream lives (a subscriber connected for days held every event it was sent).
const STOPPED = Symbol("stopped");

/** Most messages a shutting-down stream still sends of what its source already holds. */
export const MAX_DRAINED_ON_SHUTDOWN = 1024;

/**
 * Yields from `source` until it ends, `cancel` aborts (the caller left or its deadline passed:
 * stop at once) or `drain` aborts (the server shuts down: what the source already holds, such as
 * the engine's own deregistration, still goes out, up to MAX_DRAINED_ON_SHUTDOWN messages, then
 * stop). The source is told to return but not awaited: a generator parked on an await would
 * otherwise hold the stream open.
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, cancel: AbortSignal, drain?: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const signals = drain ? [cancel, drain] : [cancel];
  let next: Promise<IteratorResult<T>> | undefined;
  let drained = 0;
  try {
    for (;;) {
      if (cancel.aborted) return;
      const draining = drain?.aborted === true;
      // Stop before taking another message from the source, so what it was told it sent was sent.
      if (draining && next === undefined && drained++ >= MAX_DRAINED_ON_SHUTDOWN) return;
      next ??= it.next();
      const r = draining ? await promptly(next) : await unlessAborted(next, signals);
      if (cancel.aborted) return;
      if (r === STOPPED) {
        if (draining) return;
        continue; // the drain signal just fired: take what is already queued behind this message
      }
      next = undefined;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    void it.return?.()?.catch(() => {});
  }
}

/** `p`, or STOPPED as soon as one of `signals` aborts. */
function unlessAborted<T>(p: Promise<T>, signals: AbortSignal[]): Promise<T | typeof STOPPED> {
  if (signals.some((s) => s.aborted)) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    const onAbort = () => settle(() => resolve(STOPPED));
    const settle = (how: () => void) => {
      for (const s of signals) s.removeEventListener("abort", onAbort);
      how();
    };
    for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => settle(() => resolve(v)),
      (e: unknown) => settle(() => reject(e)),
    );
  });
}

/** `p` if it settles before the event loop's next turn (the source held it already), else STOPPED. */
function promptly<T>(p: Promise<T>): Promise<T | typeof STOPPED> {
  return new Promise((resolve, reject) => {
    const timer = setImmediate(() => resolve(STOPPED));
    p.then(
      (v) => {
        clearImmediate(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearImmediate(timer);
        reject(e);
      },
    );
  });
}
