// What a port holds open: each connection costs a file descriptor and ~10 KB (an idle HTTP/2
// session) until server.idle_timeout, and a peer may open as many as it likes. Past
// server.max_connections a port (on whichever of its addresses) closes a new connection as it
// accepts it (Node's maxConnections: no byte read or written), logged through the cut log. Without
// a cap, or with one above the process's file-descriptor limit, the limit is reached first: libuv
// then accepts and closes the pending connections itself (its EMFILE reserve), which the process
// never sees, so no line says so; should accept itself fail (that reserve gone), the listening
// server emits 'error', which with no listener would end the process: it is logged, throttled,
// and the port keeps listening.
import type { Server, Socket } from "node:net";
import type { Logger } from "../log.ts";
import { throttledWarn } from "../log-throttle.ts";
import { peerOf, type CutLog } from "./cut-log.ts";

/**
 * The cap of one port: call the function it returns with each listening server of the port (one
 * per address it listens on: grpc-js binds every address a name resolves to, `localhost` 127.0.0.1
 * and ::1) before it listens. Together they hold at most `max` connections (0: no cap).
 */
export function capConnections(max: number, cuts: CutLog): (server: Server) => void {
  const servers = new Map<Server, number>(); // the connections each holds
  let held = 0;
  // Node refuses a connection as it accepts it when its server holds maxConnections already (0:
  // every one, in Node 24): each server may hold what the others leave of the port's cap.
  const count = (server: Server, delta: number) => {
    servers.set(server, servers.get(server)! + delta);
    held += delta;
    for (const [s, own] of servers) s.maxConnections = Math.max(0, max - (held - own));
  };
  return (server) => {
    server.on("drop", (peer?: { remoteAddress?: string; remotePort?: number }) => cuts("max_connections", peer && peerOf(peer)));
    if (max <= 0) return;
    servers.set(server, 0);
    server.on("connection", (socket: Socket) => {
      count(server, 1);
      socket.once("close", () => count(server, -1));
    });
    count(server, 0);
  };
}

/** Once `server` listens: an accept that fails (EMFILE, ENFILE, ENOMEM) is a throttled warn line, not the process's end. */
export function logAcceptErrors(server: Server, door: "grpc" | "http", log: Logger | undefined): void {
  const warn = log ? throttledWarn(log) : undefined;
  server.on("error", (err: NodeJS.ErrnoException) => {
    warn?.(`accept ${door}`, "a connection could not be accepted", { door, error: err.code ?? err.message });
  });
}
