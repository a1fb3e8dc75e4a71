// A request with `Expect: 100-continue` asks whether to send its body. Node says yes (100 Continue)
// to every one, so a body its Content-Length alone already puts over server.max_request_bytes was
// invited, then refused, and up to the cap of it read and dropped. Here such a body is not invited
// when it is a Connect unary call's (application/json or application/proto: the body is the
// message): it goes to the handler uninvited, which refuses it by its length before reading any
// (REQUEST_TOO_LARGE), and the early answer ends the request (early-response.ts). An enveloped body
// (gRPC, gRPC-Web, Connect streaming) is always invited: its Content-Length is not its message's
// size (a 5-byte prefix each), and connect-node refuses a message by its prefix, not by
// Content-Length, so uninvited it would be neither read nor refused.
import type * as http from "node:http";
import type * as http2 from "node:http2";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** Connect's unary content types (with any parameters, such as charset). */
const CONNECT_UNARY = /^application\/(json|proto)\s*(;|$)/i;

export function inviteOnlyBodiesThatFit(server: http.Server | http2.Http2Server | http2.Http2SecureServer, maxBytes: number): void {
  // With a 'checkContinue' listener, Node leaves the 100 to it and emits no 'request': that is done
  // here, so the handler and every other 'request' listener see the call as any other.
  server.on("checkContinue", (req: Request, res: Response) => {
    const tooLarge = Number(req.headers["content-length"]) > maxBytes && CONNECT_UNARY.test(req.headers["content-type"] ?? "");
    if (!tooLarge) res.writeContinue();
    server.emit("request", req, res);
  });
}
