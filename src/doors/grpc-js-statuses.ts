// grpc-js sends some statuses itself, with no handler involved and so no ErrorInfo: a request over
// its size limit (request-too-large.ts) and a call whose deadline passed (its own timer, which can
// beat the handler's signal, and the status the client then gets is grpc-js's). Both get the
// ErrorInfo the HTTP door gives them, as does a grpc-timeout it cannot parse. The innermost call
// (the first interceptor is handed grpc-js's own) sends them through its sendStatus, wrapped here.
import * as grpc from "@grpc/grpc-js";
import { serviceError } from "../errors.ts";
import { grpcStatusOf } from "./grpc-status.ts";
import { requestTooLargeStatus, type Status } from "./request-too-large.ts";

const hasDetails = (status: Status) => (status.metadata?.get("grpc-status-details-bin").length ?? 0) > 0;

/** grpc-js's own deadline status, as TIMEOUT; undefined for any other status. */
function deadlineStatus(status: Status): Status | undefined {
  if (status.code !== grpc.status.DEADLINE_EXCEEDED || hasDetails(status)) return undefined;
  return { ...status, ...grpcStatusOf(serviceError("TIMEOUT", "the call's deadline passed")) } as Status;
}

/**
 * grpc-js answers a grpc-timeout header it cannot parse with INTERNAL, a server fault, and no
 * ErrorInfo; it is the caller's: INVALID_ARGUMENT VALIDATION_ERROR, as on the HTTP door.
 */
function badTimeoutStatus(status: Status): Status | undefined {
  if (status.code !== grpc.status.INTERNAL || hasDetails(status) || !status.details?.startsWith("Invalid grpc-timeout value")) return undefined;
  return { ...status, ...grpcStatusOf(serviceError("VALIDATION_ERROR", `${status.details}: a grpc-timeout is 1 to 8 digits and a unit (H, M, S, m, u or n)`, { field: "grpc-timeout" })) } as Status;
}

/** A server interceptor for a door whose request cap is `limit` bytes; it must come first, so it is handed grpc-js's own call. */
export const grpcJsStatusesWithErrorInfo = (limit: number): grpc.ServerInterceptor => (_method, call) => {
  const send = call.sendStatus.bind(call);
  call.sendStatus = (status) => send(requestTooLargeStatus(status, limit) ?? deadlineStatus(status) ?? badTimeoutStatus(status) ?? status);
  return new grpc.ServerInterceptingCall(call);
};
