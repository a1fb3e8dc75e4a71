// The bytes a server stream on the gRPC door has written that grpc-js has not yet handed on to
// HTTP/2. grpc-js's writable is in object mode: it pushes back after 16 messages whatever their
// size, so a client that stops reading large events (64 KiB on the wire, ~1.8 MB once decoded)
// had 16 of them per stream pinned at the door, outside the event bus's byte budgets. Past this
// budget the door waits before it takes the next message from the handler, which leaves it in the
// bus (counted there, and lagged when the buffer is full).

/** Bytes of large messages written but not flushed a stream may hold before the door waits. */
export const STREAM_UNFLUSHED_BYTES = 256 * 1024;
/**
 * Messages under this size are not counted: grpc-js's 16 bounds them (16 x 16 KiB), and a write
 * without a callback of its own keeps the small-event fast path as it was (Node batches them).
 */
export const SMALL_MESSAGE_BYTES = 16 * 1024;

export class UnflushedBytes {
  readonly budget: number;
  #bytes = 0;
  #wake: (() => void) | undefined;

  constructor(budget = STREAM_UNFLUSHED_BYTES) {
    this.budget = budget;
  }

  /** Counts a write of `n` bytes; returns the write's callback, which uncounts them (none for a small one). */
  add(n: number): (() => void) | undefined {
    if (n < SMALL_MESSAGE_BYTES) return undefined;
    this.#bytes += n;
    return () => {
      this.#bytes -= n;
      if (this.#bytes <= this.budget) this.#wake?.();
    };
  }

  get over(): boolean {
    return this.#bytes > this.budget;
  }

  /** True once back within the budget; false if `signal` aborts first (a cancelled call never flushes). */
  within(signal: AbortSignal): Promise<boolean> {
    if (!this.over) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.#wake = undefined;
        signal.removeEventListener("abort", onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      this.#wake = () => done(true);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
