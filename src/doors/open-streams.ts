// Server streams in progress on both doors, so that shutdown can let them end (with UNAVAILABLE,
// after what they hold) before the doors close: a stream still open when a door starts closing
// may be reset instead, which clients read as CANCELLED, their own doing, and do not resume.
export class OpenStreams {
  #open = 0;
  readonly #idle: (() => void)[] = [];

  opened(): void {
    this.#open++;
  }

  closed(): void {
    if (--this.#open === 0) for (const wake of this.#idle.splice(0)) wake();
  }

  /** Resolves once no stream is open, or after `maxMs`. */
  ended(maxMs: number): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
