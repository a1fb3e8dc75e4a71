// connect-node answers a request whose content type no protocol of its method takes (curl's default
// form type, plain JSON sent to a streaming method, a GET with no message in its query, gRPC-Web's
// text form) with a bare 415: no body, nothing saying what to send. Its 415 is given a Connect error
// body (INVALID_ARGUMENT VALIDATION_ERROR, read by Connect clients and people alike) saying what the
// method takes, and the Accept-Post header RFC 9110 (§15.5.16) suggests.
import { errorToJsonBytes } from "@connectrpc/connect/protocol-connect";
import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { clipText, serviceError } from "../errors.ts";
import type { ServedService } from "./services.ts";
import type { Handler } from "./connect-server.ts";

/** What gRPC-Web and gRPC take, for every method (the Connect types depend on its kind). */
const GRPC_TYPES = ["application/grpc-web+proto", "application/grpc-web+json", "application/grpc", "application/grpc+json"];

const ENVELOPE = "each message in an envelope: a flags byte 0, the message's length in 4 bytes big-endian, then the message";

/** The content types `method` is taken in, and what to tell a caller who sent `sent` (by `verb`). */
function mediaTypesOf(method: DescMethod, verb: string | undefined, sent: string): { accept: string[]; why: string } {
  const unary = method.methodKind === "unary";
  const accept = [...(unary ? ["application/json", "application/proto"] : ["application/connect+json", "application/connect+proto"]), ...GRPC_TYPES];
  if (verb === "GET") {
    return { accept, why: "a Connect GET carries its request in the query: ?connect=v1&encoding=json&message=<the request's JSON, URL-encoded> (or encoding=proto&base64=1&message=<base64>)" };
  }
  const got = sent === "" ? "no content type" : `content type ${JSON.stringify(clipText(sent, 64))}`;
  const how = unary
    ? "send the request as application/json or application/proto (Connect), or over gRPC-Web or gRPC"
    : `this method streams: send the request as application/connect+json or application/connect+proto, ${ENVELOPE} (Connect streaming), or over gRPC-Web or gRPC`;
  const read = unary && method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ? " (a read: GET with the request in the query works too)" : "";
  return { accept, why: `${how}${read}; not ${got}` };
}

type Response = Parameters<Handler>[1];

/** Gives connect-node's bare 415 for an RPC of `services` a body saying what its method takes. */
export function withMediaTypesSaid(handler: Handler, services: ServedService[]): Handler {
  const methods = new Map<string, DescMethod>(services.flatMap(({ service }) => service.methods.map((m) => [`/${service.typeName}/${m.name}`, m] as const)));
  return (req, res) => {
    const method = methods.get((req.url ?? "").split("?")[0]!);
    if (method) {
      const writeHead = res.writeHead as (this: Response, status: number, ...rest: unknown[]) => Response;
      res.writeHead = function (this: Response, status: number, ...rest: unknown[]) {
        if (status === 415 && !res.headersSent) {
          const { accept, why } = mediaTypesOf(method, req.method, String(req.headers["content-type"] ?? ""));
          const body = Buffer.from(errorToJsonBytes(serviceError("VALIDATION_ERROR", `unsupported media type: ${why}`), {}));
          res.setHeader("Accept-Post", accept.join(", "));
          res.setHeader("content-type", "application/json");
          res.setHeader("content-length", body.length);
          // connect-node ends the response with no body right after.
          const end = res.end as (this: Response, ...args: unknown[]) => Response;
          res.end = function (this: Response, ...args: unknown[]) {
            return typeof args[0] === "function" || args.length === 0 ? end.call(this, body, ...args) : end.apply(this, args);
          } as Response["end"];
        }
        return writeHead.call(this, status, ...rest);
      } as Response["writeHead"];
    }
    handler(req, res);
  };
}
