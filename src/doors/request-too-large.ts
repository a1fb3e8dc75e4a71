// grpc-js refuses a request message over grpc.max_receive_message_length (server.max_request_bytes)
// itself, before any handler runs: RESOURCE_EXHAUSTED with no ErrorInfo, so a client could not tell
// this permanent error from a retryable RESOURCE_EXHAUSTED (a full queue). It gets the HTTP door's
// ErrorInfo, REQUEST_TOO_LARGE with resource=request_bytes (undecodable-request.ts).
// grpc-js keeps its limit: it refuses a message by the length in its prefix, before buffering any
// of it (and a compressed one as it inflates past the limit), so what a caller can make the server
// hold stays one capped message per stream. Only the status it sends is reshaped (grpc-js-statuses.ts).
import * as grpc from "@grpc/grpc-js";
import { Code } from "@connectrpc/connect";
import { serviceError } from "../errors.ts";
import { grpcStatusOf } from "./grpc-status.ts";

export type Status = Parameters<grpc.ServerInterceptingCallInterface["sendStatus"]>[0];

/** How grpc-js words a request message over its limit (server-interceptors.js, stream-decoder.js). */
const OVER_LIMIT = /^Received message (larger than max|that decompresses to a size larger than)/;

function isRequestTooLarge(status: Status): boolean {
  return status.code === grpc.status.RESOURCE_EXHAUSTED && OVER_LIMIT.test(status.details ?? "") && (status.metadata?.get("grpc-status-details-bin").length ?? 0) === 0;
}

/** grpc-js's own refusal of a request over `limit` bytes, with the ErrorInfo; undefined for any other status. */
export function requestTooLargeStatus(status: Status, limit: number): Status | undefined {
  if (!isRequestTooLarge(status)) return undefined;
  const error = serviceError("REQUEST_TOO_LARGE", `${status.details} (server.max_request_bytes)`, { code: Code.ResourceExhausted, metadata: { resource: "request_bytes", limit } });
  return { ...status, ...grpcStatusOf(error) } as Status;
}
