// A peer that stops reading (TCP window closed) while the server has answers for it held its
// connection for good: pipelined HTTP/1.1 requests parsed ahead of their unread answers (tens of
// MB per connection, before any authentication), or an HTTP/2 session's frames, wait on a socket
// that never drains, and a connection with a call in progress is never idle. A connection whose
// socket has bytes waiting to be written and has had none of them taken by the kernel for a whole
// `ms` period (so between `ms` and twice that) is cut. A slow reader still progresses, and is kept.
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
