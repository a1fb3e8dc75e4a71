// grpc-js keeps its HTTP/2 servers to itself, and the gRPC door needs each one before it listens
// (long deadlines and grpc-timeout, long-deadlines.ts; its connections, grpc-server.ts): its
// private createHttp2Server is wrapped, one wrapper per use, the latest outermost.
import type * as http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";

type Internals = { createHttp2Server?: (credentials: grpc.ServerCredentials) => http2.Http2Server | http2.Http2SecureServer };

/** Calls `each` with every HTTP/2 server `server` creates; call before bindAsync. False if grpc-js no longer has that method. */
export function onEachHttp2Server(server: grpc.Server, each: (h2: http2.Http2Server | http2.Http2SecureServer) => void): boolean {
  const internals = server as unknown as Internals;
  const create = internals.createHttp2Server;
  if (typeof create !== "function") return false;
  internals.createHttp2Server = (credentials) => {
    const h2 = create.call(server, credentials);
    each(h2);
    return h2;
  };
  return true;
}
