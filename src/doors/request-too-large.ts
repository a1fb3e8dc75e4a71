// grpc-js refuses a request message over grpc.max_receive_message_length (server.max_request_bytes)
// itself, before any handler runs: RESOURCE_EXHAUSTED with no ErrorInfo, so a client could not tell
// this permanent error from a retryable RESOURCE_EXHAUSTED (a full queue). It gets the HTTP door's
// ErrorInfo, REQUEST_TOO_LARGE with resource=request_bytes (undecodable-request.ts).
// grpc-js keeps its limit: it refuses a message by the length in its prefix, before buffering any
// of it (and a compressed one as it inflates past the limit), so what a caller can make the server
// hold stays one capped message per stream. Only the status it sends is reshaped: the innermost
// call (the first interceptor is handed grpc-js's own) sends its decoding errors through its
// sendStatus, which is wrapped for them.
import * as grpc from "@grpc/grpc-js";
import { Code } from "@connectrpc/connect";
import { serviceError } from "../errors.ts";
import { grpcStatusOf } from "./grpc-status.ts";

type Status = Parameters<grpc.ServerInterceptingCallInterface["sendStatus"]>[0];

/** How grpc-js words a request message over its limit (server-interceptors.js, stream-decoder.js). */
const OVER_LIMIT = /^Received message (larger than max|that decompresses to a size larger than)/;

function isRequestTooLarge(status: Status): boolean {
  return status.code === grpc.status.RESOURCE_EXHAUSTED && OVER_LIMIT.test(status.details ?? "") && (status.metadata?.get("grpc-status-details-bin").length ?? 0) === 0;
}

/** A server interceptor for a door whose cap is `limit` bytes; it must come first, so it is handed grpc-js's own call. */
export const requestTooLargeWithErrorInfo = (limit: number): grpc.ServerInterceptor => (_method, call) => {
  const send = call.sendStatus.bind(call);
  call.sendStatus = (status) => {
    if (!isRequestTooLarge(status)) return send(status);
    const error = serviceError("REQUEST_TOO_LARGE", `${status.details} (server.max_request_bytes)`, { code: Code.ResourceExhausted, metadata: { resource: "request_bytes", limit } });
    send({ ...status, ...grpcStatusOf(error) } as Status);
  };
  return new grpc.ServerInterceptingCall(call);
};
