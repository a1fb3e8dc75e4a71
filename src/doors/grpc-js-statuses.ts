// grpc-js sends some statuses itself, with no handler involved and so no ErrorInfo: a request over
// its size limit (request-too-large.ts) and a call whose deadline passed (its own timer, which can
// beat the handler's signal, and the status the client then gets is grpc-js's). Both get the
// ErrorInfo the HTTP door gives them, as does a grpc-timeout it cannot parse. The innermost call
// (the first interceptor is handed grpc-js's own) sends them through its sendStatus, wrapped here.
// Every status of a call goes through it, so the call's span and duration begin here, as its
// headers arrive (telemetry/rpc.ts atDoor): a call grpc-js or this door refuses before the handler
// runs is recorded with the status its caller gets, and the handler's own begin takes over the others
// (but a status grpc-js sends itself still ends the span: a stream's handler runs from its headers).
// A status grpc-js cannot send (it percent-encodes the message with encodeURI, which throws on a lone
// surrogate: at once, or on a stream whose headers went out, in an event handler nobody catches)
// would leave its caller waiting for its deadline: it is sent as INTERNAL with a generic message.
import * as grpc from "@grpc/grpc-js";
import { createContextValues, type ContextValues } from "@connectrpc/connect";
import { atDoor, type RpcTelemetry } from "../telemetry/rpc.ts";
import { serviceError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { throttledWarn } from "../log-throttle.ts";
import { grpcStatusOf } from "./grpc-status.ts";
import { badGrpcTimeout, SHOWN_CHARS } from "./grpc-timeout.ts";
import { requestTooLargeStatus, type Status } from "./request-too-large.ts";
import { undecodableToHandler } from "./grpc-decompression.ts";

const hasDetails = (status: Status) => (status.metadata?.get("grpc-status-details-bin").length ?? 0) > 0;

/** grpc-js's own deadline status, as TIMEOUT; undefined for any other status. */
function deadlineStatus(status: Status): Status | undefined {
  if (status.code !== grpc.status.DEADLINE_EXCEEDED || hasDetails(status)) return undefined;
  return { ...status, ...grpcStatusOf(serviceError("TIMEOUT", "the call's deadline passed")) } as Status;
}

// A grpc-timeout outside the grammar is handed to grpc-js (long-deadlines.ts) as this mark and the
// value in hex: no digits and unit there for grpc-js to find, so it refuses it and names it.
const REFUSED_MARK = "refused:";
const GRPC_JS_REFUSAL = /^Invalid grpc-timeout value "(.*)"$/s;

/** The grpc-timeout grpc-js is handed for `value`, outside the grammar: one it refuses (with no more of it than a refusal shows). */
export function refusedTimeoutHeader(value: string): string {
  return REFUSED_MARK + Buffer.from(value.slice(0, SHOWN_CHARS + 1), "latin1").toString("hex");
}

/**
 * grpc-js answers a grpc-timeout header it cannot parse with INTERNAL, a server fault, and no
 * ErrorInfo; it is the caller's: INVALID_ARGUMENT VALIDATION_ERROR, as on the HTTP door.
 */
function badTimeoutStatus(status: Status): Status | undefined {
  const refused = status.code === grpc.status.INTERNAL && !hasDetails(status) ? GRPC_JS_REFUSAL.exec(status.details ?? "")?.[1] : undefined;
  if (refused === undefined) return undefined;
  const value = refused.startsWith(REFUSED_MARK) ? Buffer.from(refused.slice(REFUSED_MARK.length), "hex").toString("latin1") : refused;
  return { ...status, ...grpcStatusOf(badGrpcTimeout(value)) } as Status;
}

type Warn = ReturnType<typeof throttledWarn> | undefined;

/** INTERNAL with a generic message in place of `status`, which could not be sent; logged (throttled). */
function internalFor(status: Status, method: string, why: string, warn: Warn): Status {
  warn?.("unsendable_status", "a gRPC status could not be sent as made; INTERNAL sent instead", { method, code: grpc.status[status.code], why });
  return { ...status, ...grpcStatusOf(serviceError("INTERNAL_ERROR", "internal error")) } as Status;
}

/** `status`, or INTERNAL when grpc-js could not send its message. */
const sendable = (status: Status, method: string, warn: Warn): Status =>
  status.details === undefined || status.details.isWellFormed() ? status : internalFor(status, method, "its message holds a lone surrogate", warn);

/** grpc-js's sendStatus, made to send something when it throws before writing (it writes a status in one step). */
function sendingSafely(send: (status: Status) => void, method: string, warn: Warn): (status: Status) => void {
  return (status) => {
    try {
      send(status);
    } catch (err) {
      try {
        send(internalFor(status, method, err instanceof Error ? err.message : String(err), warn));
      } catch {
        // Nothing more to try: the stream is gone, and its client sees that.
      }
    }
  };
}

const VALUES = Symbol("door context values");
type Carrying = grpc.Metadata & { [VALUES]?: ContextValues };

/** The context values the door began a call with (its span), carried to the handler on its metadata. */
export function doorValuesOf(metadata: grpc.Metadata): ContextValues {
  return (metadata as Carrying)[VALUES] ?? createContextValues();
}

/** gRPC metadata as the Headers of a HandlerContext (binary values in base64). */
export function headersOf(metadata: grpc.Metadata): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(metadata.getMap())) headers.append(key, Buffer.isBuffer(value) ? value.toString("base64") : value);
  return headers;
}

/**
 * A server interceptor for a door whose request cap is `limit` bytes; it must come first, so it is
 * handed grpc-js's own call. With `telemetry`, each call is traced from its headers. A message that
 * does not decompress goes on to the handler, which authenticates first (grpc-decompression.ts).
 */
export const grpcJsStatusesWithErrorInfo = (limit: number, telemetry?: RpcTelemetry, log?: Logger): grpc.ServerInterceptor => {
  const warn = log && throttledWarn(log);
  return (method, call) => {
    undecodableToHandler(call);
    return intercept(method, call, limit, telemetry, warn);
  };
};

function intercept(method: grpc.ServerMethodDefinition<unknown, unknown>, call: grpc.ServerInterceptingCallInterface, limit: number, telemetry: RpcTelemetry | undefined, warn: Warn): grpc.ServerInterceptingCall {
  const send = sendingSafely(call.sendStatus.bind(call), method.path, warn);
  // A status grpc-js sends itself, with its ErrorInfo; undefined for one a handler (or interceptor) sends.
  const own = (status: Status) => requestTooLargeStatus(status, limit) ?? deadlineStatus(status) ?? badTimeoutStatus(status);
  const mended = (status: Status) => own(status) ?? sendable(status, method.path, warn);
  // Without telemetry every call pays only the status mend (no context values, no metadata).
  if (!telemetry) {
    call.sendStatus = (status) => send(mended(status));
    return new grpc.ServerInterceptingCall(call);
  }
  const values = createContextValues();
  let ended: ReturnType<typeof atDoor> | undefined;
  const begin = (metadata: grpc.Metadata) => {
    if (!ended) ended = atDoor(telemetry, method.path.slice(1), { protocolName: "grpc", requestHeader: headersOf(metadata), values });
  };
  call.sendStatus = (status) => {
    const refused = own(status);
    const sent = refused ?? sendable(status, method.path, warn);
    // A status sent before grpc-js started the call (its stream already gone): traced without its headers.
    if (!ended) begin(new grpc.Metadata());
    // grpc-js's own status is what the caller gets, also when a handler took the call (a client or
    // bidi stream's runs from its headers): that handler's end, cancelled by it, would say CANCELLED.
    ended?.(sent.code, sent.code === grpc.status.OK ? undefined : new Error(sent.details), refused !== undefined);
    send(sent);
  };
  return new grpc.ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMetadata: (metadata, go) => {
          begin(metadata);
          (metadata as Carrying)[VALUES] = values;
          go(metadata);
        },
      }),
  });
}
