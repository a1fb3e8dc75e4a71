// Calls in progress on both doors, counted so that shutdown can take them in order: unary calls
// finish first (what they publish, such as ScriptExecuted, still reaches the subscribers), then
// streams end (with UNAVAILABLE, after what they hold) before the doors close, since a stream
// still open then may be reset, which clients read as CANCELLED, their own doing, and do not resume.
export class InFlight {
  #open = 0;
  readonly #idle: (() => void)[] = [];

  opened(): void {
    this.#open++;
  }

  closed(): void {
    if (--this.#open === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  /** Resolves once none is in progress (true), or after `maxMs` (false). */
  ended(maxMs: number): Promise<boolean> {
    if (this.#open === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), maxMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
