// The doors cut connections and streams whose peer holds the server's sockets and memory without
// using them: one that never begins, trickles its headers or its body, stops reading, or keeps a
// connection open the server has ended, or the oldest request still sending its body, cut for a
// new one past the door's bound (door-connections.ts). Each cut is a warn line naming the door, the peer's address
// and what was cut, never what the peer sent; a peer can cause them at will, so each kind is one line
// per door at most a minute (log-throttle.ts), the next one counting those dropped.
import type { Logger } from "../log.ts";
import { throttledWarn, type ThrottleOptions } from "../log-throttle.ts";
import { MAX_PENDING_STREAMS } from "./door-limits.ts";

const CUTS = {
  silent: "connection cut: its peer did not begin (TLS handshake, HTTP/2 preface or request) within server.idle_timeout",
  headers: "connection cut: a request's headers did not arrive within server.idle_timeout (60 s at most)",
  body: "call ended: its one-message request body did not arrive within server.idle_timeout",
  write_stall: "connection cut: its peer took nothing the server wrote to it for server.idle_timeout",
  stream_stall: "HTTP/2 stream reset: its peer's flow control held back its answer for server.idle_timeout",
  end_ignored: "connection cut: its peer kept it open after the server had ended it",
  max_connections: "connection closed as accepted: the port holds server.max_connections connections",
  oldest_pending: `request cut (HTTP/2: RST_STREAM CANCEL, HTTP/1.1: connection closed): the oldest of ${MAX_PENDING_STREAMS} requests whose body is still to come, for a new one`,
} as const;

export type CutKind = keyof typeof CUTS;
/** Logs a cut of `kind`; `peer` is the peer's "address:port". */
export type CutLog = (kind: CutKind, peer: string | undefined) => void;

/** "address:port" of a socket's peer ("[v6]:port"), or grpc-js's ConnectionInfo's; undefined once the socket no longer knows it. */
export function peerOf(socket: { remoteAddress?: string; remotePort?: number } | undefined): string | undefined {
  try {
    const address = socket?.remoteAddress;
    if (address === undefined) return undefined;
    return `${address.includes(":") ? `[${address}]` : address}:${socket!.remotePort}`;
  } catch {
    return undefined; // an HTTP/2 request's socket proxy throws once its stream is gone
  }
}

/** The cut log of `door`; logs nothing without a logger. */
export function cutLog(log: Logger | undefined, door: "grpc" | "http", options?: ThrottleOptions): CutLog {
  if (!log) return () => {};
  const warn = throttledWarn(log, options);
  return (kind, peer) => void warn(kind, CUTS[kind], { door, peer: peer ?? "unknown", cut: kind });
}
