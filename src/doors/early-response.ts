// A response can go out before its request's body was read: connect-node stops reading a chunked
// body at server.max_request_bytes and answers RESOURCE_EXHAUSTED. The unread rest then stays
// ahead of the connection's next request.
// - HTTP/1.1: the connection was kept alive, and its next request was never answered; the client
//   waited for the keep-alive timeout and got a reset.
// - HTTP/2: the stream was left open and unread until the server stopped (a stream slot held, and
//   a connection never idle).
// Now such a response ends what is left of its request:
// - HTTP/1.1: the response says `Connection: close`. What the client still sends is read and
//   dropped (never kept) until it closes its side, or LINGER_MS or `lingerBytes` run out, and then
//   the socket closes. Closing with bytes unread would make the kernel send a reset, which can cost the
//   client the very response that refused it.
// - HTTP/2: once the response is complete, RST_STREAM NO_ERROR asks the client to stop sending the
//   request (RFC 9113 §8.1). The connection and its other calls go on.
import * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";

/** The longest the rest of a refused HTTP/1.1 body may take to arrive before the connection is cut. */
export const LINGER_MS = 5_000;

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Wraps a handler so a response sent before its request body was read ends that body (see above). */
export function withEarlyResponsesEndingTheirRequest<H extends (req: Request, res: Response) => void>(handler: H, lingerBytes: number): H {
  return ((req: Request, res: Response) => {
    if (req instanceof http.IncomingMessage) closeAfterEarlyResponse(req, res as http.ServerResponse, lingerBytes);
    else resetAfterEarlyResponse(req);
    handler(req, res);
  }) as H;
}

/** Whether an HTTP/1.1 request has a body to read (a GET, say, has none, so it is never "unread"). */
export function hasBody(req: http.IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0";
}

function closeAfterEarlyResponse(req: http.IncomingMessage, res: http.ServerResponse, lingerBytes: number): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: http.ServerResponse, ...args: Parameters<typeof writeHead>) {
    if (!req.complete && hasBody(req)) {
      // Node then sends `Connection: close` and ends the socket once the response is written.
      this.shouldKeepAlive = false;
      const socket = this.socket ?? req.socket;
      if (socket) lingerOnClose(socket, lingerBytes);
    }
    return writeHead.apply(this, args);
  } as typeof writeHead;
}

/**
 * Node closes a `Connection: close` socket with destroySoon() once the response is written; for
 * this one that becomes: end the writing side, then read and drop whatever the client still sends
 * (raw bytes: the HTTP parser is taken off the socket, as no request follows on it) until it ends
 * its side, `lingerBytes` have come or LINGER_MS pass, and close.
 */
function lingerOnClose(socket: net.Socket, lingerBytes: number): void {
  socket.destroySoon = () => {
    socket.end();
    // As Node's own destroySoon: never before the response has been written out.
    const close = () => (socket.writableFinished ? socket.destroy() : socket.once("finish", () => socket.destroy()));
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    let dropped = 0;
    socket.removeAllListeners("data");
    socket.on("data", (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped <= lingerBytes) return;
      socket.removeAllListeners("data");
      close();
    });
    socket.resume();
  };
}

/**
 * Node's compat layer always ends a response with trailers: its own 'wantTrailers' listener, ahead
 * of this one, has them submitted on the next setImmediate, and the reset is queued behind them.
 * (The response's "finish" comes only when the stream closes, which the unread request prevents.)
 * Node would keep a stream reset with NO_ERROR until its unread data is consumed: it is destroyed
 * once the reset is out, which drops that data (no more than the stream's flow-control window).
 */
function resetAfterEarlyResponse(req: http2.Http2ServerRequest): void {
  const stream = req.stream;
  stream.once("wantTrailers", () =>
    setImmediate(() => {
      // The request was read to its end: the stream closes by itself.
      if (req.readableEnded || stream.closed || stream.destroyed) return;
      stream.close(http2.constants.NGHTTP2_NO_ERROR);
      setImmediate(() => stream.destroy());
    }),
  );
}
