// What a port holds open: each connection costs a file descriptor and ~10 KB (an idle HTTP/2
// session) until server.idle_timeout, and a peer may open as many as it likes. Past
// server.max_connections a port closes a new connection as it accepts it (Node's maxConnections:
// no byte read or written), logged through the cut log. Without a cap, or with one above the
// process's file-descriptor limit, the limit is reached first: libuv then accepts and closes the
// pending connections itself (its EMFILE reserve), which the process never sees, so no line says so;
// should accept itself fail (that reserve gone), the listening server emits 'error', which with no
// listener would end the process: it is logged, throttled, and the port keeps listening.
import type { Server } from "node:net";
import type { Logger } from "../log.ts";
import { throttledWarn } from "../log-throttle.ts";
import { peerOf, type CutLog } from "./cut-log.ts";

/** Caps the connections `server` (a listening server of a door) holds at `max` (0: none); call before it listens. */
export function capConnections(server: Server, max: number, cuts: CutLog): void {
  if (max > 0) server.maxConnections = max;
  server.on("drop", (peer?: { remoteAddress?: string; remotePort?: number }) => cuts("max_connections", peer && peerOf(peer)));
}

/** Once `server` listens: an accept that fails (EMFILE, ENFILE, ENOMEM) is a throttled warn line, not the process's end. */
export function logAcceptErrors(server: Server, door: "grpc" | "http", log: Logger | undefined): void {
  const warn = log ? throttledWarn(log) : undefined;
  server.on("error", (err: NodeJS.ErrnoException) => {
    warn?.(`accept ${door}`, "a connection could not be accepted", { door, error: err.code ?? err.message });
  });
}
