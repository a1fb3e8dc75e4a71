// A credential header sent twice reaches authentication whole, on both doors. Node keeps only the
// first `authorization` of a request (HTTP/1.1 and HTTP/2 alike: a single-value field to it) and
// joins repeated `x-api-key`s with ", "; a gateway appending its own `authorization` to the
// client's would otherwise have the first silently win. Each repeated credential header is joined
// here as Node joins a list field, so credentials.ts sees every token and refuses two different
// ones (a token holds no space, so ", " only ever separates two). A tab in one is a space.
import type * as http from "node:http";
import type * as http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";
import { onEachHttp2Server } from "./grpc-js-servers.ts";
import type { Handler } from "./connect-server.ts";

const CREDENTIAL_HEADERS = new Set(["authorization", "x-api-key"]);

/** Sets each credential header `raw` (name, value, name, value...) repeats to all its values, joined. */
function joinRepeated(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders, raw: readonly string[]): void {
  let values: Map<string, string[]> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!CREDENTIAL_HEADERS.has(name)) continue;
    values ??= new Map();
    values.set(name, [...(values.get(name) ?? []), raw[i + 1]!]);
  }
  // A tab between scheme and token (HTTP whitespace, taken on the HTTP door) becomes a space: grpc-js
  // drops a metadata value holding one, and the call was told it sent no credentials.
  for (const [name, all] of values ?? []) if (all.length > 1 || all.some((v) => v.includes("\t"))) headers[name] = all.join(", ").replaceAll("\t", " ");
}

/** The HTTP door: before connect-node reads a request's headers. */
export function withRepeatedCredentials(handler: Handler): Handler {
  return (req, res) => {
    joinRepeated(req.headers, req.rawHeaders);
    handler(req, res);
  };
}

/**
 * The gRPC door: each of `server`'s HTTP/2 servers gets a 'stream' listener ahead of grpc-js's,
 * which builds a call's metadata from the same headers (grpc-js-servers.ts). Call before
 * bindAsync. False if grpc-js no longer has the method that takes.
 */
export function keepRepeatedCredentials(server: grpc.Server): boolean {
  return onEachHttp2Server(server, (h2) =>
    h2.prependListener("stream", (_stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => joinRepeated(headers, raw)),
  );
}
