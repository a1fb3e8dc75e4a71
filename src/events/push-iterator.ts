// An async iterator fed by pushes that never wait for the reader: the shape of event
// subscriptions and registry watches. Subclasses queue items and say how to take the next one;
// this base does the waiting, the ending (cleanly, or with an error delivered after what is still
// queued), and ties the end to an AbortSignal (the client went away).
export abstract class PushIterator<T> implements AsyncIterableIterator<T> {
  #ended = false;
  #error: Error | null = null;
  #wake: Promise<void> | null = null;
  #resolveWake: (() => void) | null = null;
  #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.close();

  /** The next queued item, or undefined when none is waiting. */
  protected abstract take(): T | undefined;

  /** Ends the iterator cleanly (from the server side, or the reader leaving). */
  abstract close(): void;

  get ended(): boolean {
    return this.#ended;
  }

  /** Call at the end of the subclass constructor: an aborted signal ends the iterator. */
  protected listen(signal: AbortSignal | undefined): void {
    if (!signal) return;
    this.#signal = signal;
    if (signal.aborted) this.close();
    else signal.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Marks the end (once: false when it had already ended); the reader sees `error` after the queue. */
  protected finish(error: Error | null): boolean {
    if (this.#ended) return false;
    this.#ended = true;
    this.#error = error;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.wake();
    return true;
  }

  /** Once ended with an error the reader has not seen yet, gives it `error` instead (a fuller account). */
  protected amendError(error: Error): void {
    if (this.#ended && this.#error) this.#error = error;
  }

  /** Wakes a reader waiting in next(). */
  protected wake(): void {
    const resolve = this.#resolveWake;
    if (resolve) {
      this.#wake = null;
      this.#resolveWake = null;
      resolve();
    }
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      const item = this.take();
      if (item !== undefined) return { value: item, done: false };
      if (this.#ended) {
        const err = this.#error;
        if (err) {
          this.#error = null;
          throw err;
        }
        return { value: undefined, done: true };
      }
      this.#wake ??= new Promise<void>((resolve) => (this.#resolveWake = resolve));
      await this.#wake;
    }
  }

  /** Leaving the loop (break, client disconnect) frees the stream at once. */
  async return(): Promise<IteratorResult<T, undefined>> {
    this.close();
    return { value: undefined, done: true };
  }

  async throw(err?: unknown): Promise<IteratorResult<T, undefined>> {
    this.close();
    throw err;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
