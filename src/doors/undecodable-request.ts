// connect-node parses a request before any handler or interceptor runs, and calls a binary body
// that does not decode an INTERNAL error ("parse binary: ..."): the server's fault, retryable by
// some clients. It is the caller's, as on the gRPC door: INVALID_ARGUMENT VALIDATION_ERROR.
// connect-node aborts the call's context with the error before it encodes it, on all three
// protocols, so a request gate (which runs before the body is read) can watch for it and mend
// the error in place (call-aborted.ts: also in a call whose deadline had passed as it arrived).
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { malformedRequestError } from "./malformed-request.ts";
import { serviceError } from "../errors.ts";
import { badGrpcTimeout } from "./grpc-timeout.ts";
import { onceAborted } from "./call-aborted.ts";
import { requestTooLarge } from "./request-too-large.ts";

const PARSE_BINARY = "parse binary: ";

/**
 * A Connect GET carries its message in the query (`base64=1&message=...`): connect-node decodes it
 * after the gate and answers a message that is not base64 with INTERNAL, no ErrorInfo, nothing
 * logged (a plain Error it wraps after the call is over). It is checked here first, in the gate
 * once the caller is authenticated (one without credentials learns nothing of its message).
 */
export function refuseUndecodableQuery(ctx: HandlerContext): void {
  if (ctx.requestMethod !== "GET") return;
  const query = new URL(ctx.url).searchParams;
  if (query.get("base64") === "1" && !BASE64.test(query.get("message") ?? "")) {
    throw malformedRequestError(ctx.method, "its message query parameter is not base64");
  }
  // URLSearchParams decodes a percent-encoded byte that is not UTF-8 as U+FFFD.
  if (query.get("base64") !== "1" && !percentEncodedUtf8(rawParam(ctx.url, "message"))) {
    throw malformedRequestError(ctx.method, "its message query parameter is not UTF-8");
  }
}

/** The first `name` parameter of a URL's query, its value still percent-encoded (its name decoded, as URLSearchParams finds it). */
function rawParam(url: string, name: string): string {
  const query = url.slice(url.indexOf("?") + 1 || url.length);
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (new URLSearchParams(key).keys().next().value === name) return eq < 0 ? "" : pair.slice(eq + 1);
  }
  return "";
}

/** Whether the bytes a query value's escapes spell are UTF-8; a '%' starting no escape is itself, as URLSearchParams reads it. */
function percentEncodedUtf8(text: string): boolean {
  try {
    decodeURIComponent(text.replace(/%(?![0-9A-Fa-f]{2})/g, "%25"));
    return true;
  } catch {
    return false;
  }
}

/** What protobuf-es's base64Decode takes: either alphabet, padding only at the end. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Told a response the server could not encode (the library's words, for the log only). */
export type OnUnencodable = (method: string, detail: string) => void;

/** `maxRequestBytes`: server.max_request_bytes, connect-node's readMaxBytes. */
export function mendUndecodableRequests(ctx: HandlerContext, maxRequestBytes: number, onUnencodable?: OnUnencodable): void {
  onceAborted(ctx, (reason) => mend(ctx, reason, maxRequestBytes, onUnencodable));
}

// protobuf-es refusing to encode the server's own response (a value out of its field's range), in
// connect-node's binary and JSON serialisation's words.
const UNENCODABLE = /^(serialize binary: )?cannot encode |cannot be NaN or Infinity$|must have a value$/;

function mend(ctx: HandlerContext, err: unknown, maxRequestBytes: number, onUnencodable?: OnUnencodable): void {
  if (!(err instanceof ConnectError) || err.findDetails(ErrorInfoSchema).length > 0) return;
  // The server's fault, and its internals: INTERNAL in generic words, as any unknown error, and logged.
  if (err.code === Code.Internal && UNENCODABLE.test(err.rawMessage)) {
    onUnencodable?.(`${ctx.service.typeName}/${ctx.method.name}`, err.rawMessage);
    return become(err, serviceError("INTERNAL_ERROR", "internal error"));
  }
  const binary = err.code === Code.Internal && err.rawMessage.startsWith(PARSE_BINARY);
  // A compressed body cut short is the caller's too, not a server fault (INVALID_ARGUMENT already
  // in a gRPC envelope): said in the same words on every protocol and both doors.
  if ((err.code === Code.Internal || err.code === Code.InvalidArgument) && err.rawMessage === "decompression failed") return rewrite(ctx, err, "its compressed body is not valid");
  if (binary) return rewrite(ctx, err, err.rawMessage.slice(PARSE_BINARY.length));
  // An envelope flagged compressed in a call that names no encoding: the caller's (INTERNAL says the server's).
  if (err.code === Code.Internal && err.rawMessage.startsWith("received compressed envelope")) return become(err, serviceError("VALIDATION_ERROR", `${err.rawMessage}: the call names no encoding`));
  // A missing or extra input message: a malformed call (UNIMPLEMENTED reads as "no such method").
  if (err.code === Code.Unimplemented && err.rawMessage.startsWith(PROTOCOL_ERROR)) return become(err, serviceError("VALIDATION_ERROR", err.rawMessage));
  // A grpc-timeout outside the grammar: the gRPC door's words for it (grpc-timeout.ts).
  if (err.code === Code.InvalidArgument && err.rawMessage.startsWith(BAD_GRPC_TIMEOUT)) return become(err, badGrpcTimeout(ctx.requestHeader.get("grpc-timeout") ?? ""));
  // Another bad header is no bad message: said as it is, with ErrorInfo.
  if (err.code === Code.InvalidArgument && err.rawMessage.startsWith(PROTOCOL_ERROR)) return withInfo(err, serviceError("VALIDATION_ERROR", err.rawMessage));
  // JSON that does not parse is already INVALID_ARGUMENT, but without the ErrorInfo every other error carries.
  if (err.code === Code.InvalidArgument) return rewrite(ctx, err, inPlainWords(err.rawMessage));
  // A request over server.max_request_bytes: connect-node names its own option (readMaxBytes), which no
  // configuration or document does; said with the key, and the limit in the metadata as the gRPC door does.
  if (err.code === Code.ResourceExhausted) return become(err, requestTooLarge(/message size (\d+)/.exec(err.rawMessage)?.[1], maxRequestBytes));
  // The call's deadline (connect-node's own error), also while its body was still arriving.
  if (err.code === Code.DeadlineExceeded) return withInfo(err, serviceError("TIMEOUT", err.rawMessage));
  if (err.code === Code.Canceled) return withInfo(err, serviceError("CANCELLED", err.rawMessage));
  // An encoding this server does not have (zstd, say): UNIMPLEMENTED as on the gRPC door.
  if (err.code === Code.Unimplemented) return withInfo(err, serviceError("NOT_IMPLEMENTED", err.rawMessage));
  // Whatever else the protocol layer says: still with the ErrorInfo every error carries.
  withInfo(err, serviceError("INTERNAL_ERROR", err.rawMessage));
}

/**
 * protobuf-es reading a Duration with more than 9 fractional digits pads it with `"0".repeat(9 - n)`,
 * and says only what String.prototype.repeat does (its only repeat with a count from the request).
 */
const DURATION_DIGITS = "Invalid count value: -";
const inPlainWords = (why: string) => (why.startsWith(DURATION_DIGITS) ? "a google.protobuf.Duration has at most 9 fractional digits (nanoseconds)" : why);

const PROTOCOL_ERROR = "protocol error: ";
const BAD_GRPC_TIMEOUT = "protocol error: invalid grpc timeout value: ";

/** Gives `err` the details (ErrorInfo) of `like`, keeping its own code and message. */
function withInfo(err: ConnectError, like: ConnectError): void {
  (err as { -readonly [K in keyof ConnectError]: ConnectError[K] }).details = like.details;
}

function rewrite(ctx: HandlerContext, err: ConnectError, why: string): void {
  become(err, malformedRequestError(ctx.method, why));
}

/** Makes `err` say what `mended` says: code, message and details (it is already on its way out). */
function become(err: ConnectError, mended: ConnectError): void {
  const target = err as { -readonly [K in keyof ConnectError]: ConnectError[K] };
  target.code = mended.code;
  target.rawMessage = mended.rawMessage;
  target.message = mended.message;
  target.details = mended.details;
}
