// A peer that stops reading (TCP window closed) while the server has answers for it held its
// connection for good: pipelined HTTP/1.1 requests parsed ahead of their unread answers (tens of
// MB per connection, before any authentication), or an HTTP/2 session's frames, wait on a socket
// that never drains, and a connection with a call in progress is never idle. A connection whose
// socket has bytes waiting to be written and has had none of them taken by the kernel for a whole
// `ms` period (so between `ms` and twice that) is cut. A slow reader still progresses, and is kept.
// An HTTP/2 stream that its peer's flow control stalls is reset the same way (StalledStreams).
import { constants, type Http2Stream } from "node:http2";
import type { Socket } from "node:net";

type WithQueue = Socket & { _handle?: { writeQueueSize?: number } | null };

/** Bytes written to `socket` but not yet taken by the kernel: Node's buffer and libuv's queue. */
function pendingOf(socket: WithQueue): number {
  return socket.writableLength + (socket._handle?.writeQueueSize ?? 0);
}

/** Calls `cut` once the socket `current()` returns stops taking pending bytes for `ms`; returns the watch's stop. */
export function cutOnStalledWrites(current: () => Socket, cut: () => void, ms: number): () => void {
  let taken: number | undefined; // bytes the kernel had taken at the last check, while some were pending
  const timer = setInterval(() => {
    const socket = current() as WithQueue;
    const pending = pendingOf(socket);
    if (pending === 0) return void (taken = undefined);
    // bytesWritten counts what is still pending too.
    const now = socket.bytesWritten - pending;
    if (now === taken) return cut();
    taken = now;
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}

type WriteFn = (...args: unknown[]) => unknown;
type Writes = { _write: WriteFn; _writev?: WriteFn | null };

interface Watch {
  /** Writes completed so far. */
  completed: number;
  /** `completed` at the last sweep that found bytes pending, else undefined. */
  seen: number | undefined;
  /** The peer's address, for `onCancel`. */
  peer: string | undefined;
}

/**
 * An HTTP/2 stream's writes complete as nghttp2 sends them, which a peer that never opens its
 * flow-control window (SETTINGS_INITIAL_WINDOW_SIZE 0, no WINDOW_UPDATE) stops for good while its
 * socket stays live (its PINGs are answered): each answered stream stayed open, holding its answer
 * and its connection, which an open stream keeps from being idle. A stream with bytes pending and
 * no write completed for a whole `ms` period is reset (CANCEL), and `onCancel` told its peer. One timer
 * sweeps every stream watched, each `ms` while there are some, rather than a timer per call.
 */
export class StalledStreams {
  readonly #ms: number;
  readonly #onCancel: (peer: string | undefined) => void;
  readonly #watched = new Map<Http2Stream, Watch>();
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number, onCancel: (peer: string | undefined) => void) {
    this.#ms = ms;
    this.#onCancel = onCancel;
  }

  /** Watches `stream`, of the peer at `peer`, until it closes. */
  watch(stream: Http2Stream, peer: string | undefined): void {
    const watch: Watch = { completed: 0, seen: undefined, peer };
    const writes = stream as unknown as Writes;
    // The callback is the last argument of both: count it as it is called.
    const counted = (fn: WriteFn): WriteFn => function (this: unknown, ...args: unknown[]) {
      const cb = args.pop() as (err?: Error | null) => void;
      return fn.call(this, ...args, (err?: Error | null) => {
        watch.completed++;
        cb(err);
      });
    };
    writes._write = counted(writes._write);
    if (writes._writev) writes._writev = counted(writes._writev);
    this.#watched.set(stream, watch);
    stream.once("close", () => this.#watched.delete(stream));
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sweep(), this.#ms);
      this.#timer.unref();
    }
  }

  #sweep(): void {
    if (this.#watched.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    for (const [stream, watch] of this.#watched) {
      if (stream.writableLength === 0) {
        watch.seen = undefined;
      } else if (watch.seen === watch.completed) {
        this.#watched.delete(stream); // once: the stream's close comes later
        this.#onCancel(watch.peer);
        stream.close(constants.NGHTTP2_CANCEL);
      } else {
        watch.seen = watch.completed;
      }
    }
  }
}
