// grpc-js refuses a request message over grpc.max_receive_message_length (server.max_request_bytes)
// itself, before any handler runs: RESOURCE_EXHAUSTED with no ErrorInfo, so a client could not tell
// this permanent error from a retryable RESOURCE_EXHAUSTED (a full queue). It gets the HTTP door's
// ErrorInfo, REQUEST_TOO_LARGE with resource=request_bytes (undecodable-request.ts).
// grpc-js keeps its limit: it refuses a message by the length in its prefix, before buffering any
// of it (and a compressed one as it inflates past the limit), so what a caller can make the server
// hold stays one capped message per stream. Only the status it sends is reshaped (grpc-js-statuses.ts).
import * as grpc from "@grpc/grpc-js";
import { Code, type ConnectError } from "@connectrpc/connect";
import { serviceError } from "../errors.ts";
import { grpcStatusOf } from "./grpc-status.ts";

export type Status = Parameters<grpc.ServerInterceptingCallInterface["sendStatus"]>[0];

/** How grpc-js words a request message over its limit (server-interceptors.js, stream-decoder.js). */
const OVER_LIMIT = /^Received message (larger than max|that decompresses to a size larger than)/;

function isRequestTooLarge(status: Status): boolean {
  return status.code === grpc.status.RESOURCE_EXHAUSTED && OVER_LIMIT.test(status.details ?? "") && (status.metadata?.get("grpc-status-details-bin").length ?? 0) === 0;
}

/** A request message (of `size` bytes, when its length said so) over server.max_request_bytes, `limit`: the same words on both doors. */
export function requestTooLarge(size: string | undefined, limit: number): ConnectError {
  const what = size === undefined ? "the request message" : `a request message of ${size} bytes`;
  return serviceError("REQUEST_TOO_LARGE", `${what} is larger than server.max_request_bytes (${limit})`, { code: Code.ResourceExhausted, metadata: { resource: "request_bytes", limit } });
}

/** grpc-js's own refusal of a request over `limit` bytes, with the ErrorInfo; undefined for any other status. */
export function requestTooLargeStatus(status: Status, limit: number): Status | undefined {
  if (!isRequestTooLarge(status)) return undefined;
  // "Received message larger than max (<size> vs <limit>)"; one that inflates past it has no size.
  const size = /^Received message larger than max \((\d+) vs/.exec(status.details ?? "")?.[1];
  return { ...status, ...grpcStatusOf(requestTooLarge(size, limit)) } as Status;
}
