// A growable ring-buffer FIFO: O(1) push and shift (Array#shift is O(n) on large arrays).
export class Deque<T> {
  #buf: Array<T | undefined> = new Array(16);
  #head = 0;
  #len = 0;

  get length(): number {
    return this.#len;
  }

  push(value: T): void {
    if (this.#len === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#len) & (this.#buf.length - 1)] = value;
    this.#len++;
  }

  /** The i-th value from the front (0: the next shift()), for binary searches over a sorted queue. */
  at(i: number): T | undefined {
    return i >= 0 && i < this.#len ? this.#buf[(this.#head + i) & (this.#buf.length - 1)] : undefined;
  }

  shift(): T | undefined {
    if (this.#len === 0) return undefined;
    const value = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#buf.length - 1);
    this.#len--;
    return value;
  }

  clear(): void {
    this.#buf = new Array(16);
    this.#head = 0;
    this.#len = 0;
  }

  #grow(): void {
    const old = this.#buf;
    const next: Array<T | undefined> = new Array(old.length * 2);
    for (let i = 0; i < this.#len; i++) next[i] = old[(this.#head + i) & (old.length - 1)];
    this.#buf = next;
    this.#head = 0;
  }
}
