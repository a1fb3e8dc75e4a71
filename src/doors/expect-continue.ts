// A request with `Expect: 100-continue` asks whether to send its body. Node says yes (100 Continue)
// to every one, so a body its Content-Length alone already puts over server.max_request_bytes was
// invited, then refused, and up to the cap of it read and dropped. Here only a body that may fit is
// invited; one that cannot goes to the handler uninvited, which refuses it by its length before
// reading any (REQUEST_TOO_LARGE, in the call's protocol), and the early answer ends the request
// (early-response.ts).
import type * as http from "node:http";
import type * as http2 from "node:http2";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

export function inviteOnlyBodiesThatFit(server: http.Server | http2.Http2Server | http2.Http2SecureServer, maxBytes: number): void {
  // With a 'checkContinue' listener, Node leaves the 100 to it and emits no 'request': that is done
  // here, so the handler and every other 'request' listener see the call as any other.
  server.on("checkContinue", (req: Request, res: Response) => {
    const length = Number(req.headers["content-length"]);
    if (!(length > maxBytes)) res.writeContinue();
    server.emit("request", req, res);
  });
}
