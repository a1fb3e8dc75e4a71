// HTTP/1.1 keep-alive connections of the HTTP door, ended at shutdown as soon as they are idle.
// Node's own closeIdleConnections() knows only connections of a server that listened itself; this
// door hands sniffed sockets to its HTTP/1.1 server (and, with TLS, HTTP/1.1 reaches the HTTP/2
// server's fallback), so an idle keep-alive connection would hold close() to its force timeout.
import type * as http from "node:http";
import type * as http2 from "node:http2";
import type { Socket } from "node:net";

export class H1Connections {
  /** Responses not yet finished, per HTTP/1.1 socket (0: idle between requests). */
  readonly #busy = new Map<Socket, number>();
  #closing = false;

  /** Follows the HTTP/1.x requests of `server` (HTTP/2 requests of a fallback server are left alone). */
  track(server: http.Server | http2.Http2Server | http2.Http2SecureServer): void {
    server.on("request", (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
      if (req.httpVersionMajor !== 1) return;
      const socket = req.socket as Socket;
      if (!this.#busy.has(socket)) socket.once("close", () => this.#busy.delete(socket));
      this.#busy.set(socket, (this.#busy.get(socket) ?? 0) + 1);
      res.once("close", () => {
        const left = (this.#busy.get(socket) ?? 1) - 1;
        this.#busy.set(socket, left);
        if (this.#closing && left === 0) socket.end(() => socket.destroy());
      });
    });
  }

  /** From now on a connection ends once its last response is out; idle ones end at once. */
  closeWhenIdle(): void {
    this.#closing = true;
    for (const [socket, busy] of this.#busy) if (busy === 0) socket.destroy();
  }
}
