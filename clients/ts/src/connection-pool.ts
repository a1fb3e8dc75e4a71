// Connections that each carry a bounded number of calls at once. A server limits the streams open
// on one HTTP/2 connection (ScriptEngine: 256), and a call past that limit waits, without an error,
// until another ends: long-lived subscribe()/watch() streams would hold every slot and each other
// call would wait out its deadline. A call goes to the first connection with room; when none has
// any, another connection is opened. Extra connections stay for later peaks; the transports close
// their sockets once idle (grpc-js's client idle timeout, connect-node's idle connection timeout).

/**
 * Calls at once on one connection: the least SETTINGS_MAX_CONCURRENT_STREAMS that RFC 9113 asks a
 * server to allow, well within ScriptEngine's 256.
 */
export const CALLS_PER_CONNECTION = 100;

export class ConnectionPool<C> {
  readonly #entries: { conn: C; calls: number }[] = [];
  readonly #open: () => C;
  readonly #limit: number;

  /** Opens the first connection at once, so that `open`'s errors are the constructor's. */
  constructor(open: () => C, limit = CALLS_PER_CONNECTION) {
    this.#open = open;
    this.#limit = limit;
    this.#entries.push({ conn: open(), calls: 0 });
  }

  /** A connection for one call; `release` (idempotent) when the call has ended. */
  acquire(): { conn: C; release: () => void } {
    let entry = this.#entries.find((e) => e.calls < this.#limit);
    if (!entry) this.#entries.push((entry = { conn: this.#open(), calls: 0 }));
    const held = entry;
    held.calls++;
    let released = false;
    return {
      conn: held.conn,
      release: () => {
        if (!released) held.calls--;
        released = true;
      },
    };
  }

  /** Every connection opened so far. */
  get connections(): readonly C[] {
    return this.#entries.map((e) => e.conn);
  }
}
