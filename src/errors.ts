// One error type for the whole service: a ConnectError whose code follows from its reason and
// which always carries a google.rpc.ErrorInfo (domain "scriptengine.v1"), plus RetryInfo when a
// retry can succeed. Both doors send it: connect-node natively, the grpc-js door as
// grpc-status-details-bin (see doors/grpc-status.ts).
/// <reference lib="es2024.string" />
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ErrorInfoSchema, RetryInfoSchema, BadRequestSchema } from "../gen/ts/google/rpc/error_details_pb.js";
import { noteStoreFault } from "./store/faults.ts";

export const ERROR_DOMAIN = "scriptengine.v1";

/** ErrorReason names (errors.proto, without the ERROR_REASON_ prefix) and their gRPC codes. */
export const REASON_CODES = {
  EXECUTION_ERROR: Code.Aborted,
  COMPILATION_ERROR: Code.InvalidArgument,
  CONFIGURATION_ERROR: Code.FailedPrecondition,
  VALIDATION_ERROR: Code.InvalidArgument,
  SECURITY_VIOLATION: Code.PermissionDenied,
  RESOURCE_EXCEEDED: Code.ResourceExhausted,
  TIMEOUT: Code.DeadlineExceeded,
  SERVICE_NOT_FOUND: Code.NotFound,
  SCRIPT_NOT_FOUND: Code.NotFound,
  MIGRATION_ERROR: Code.FailedPrecondition,
  INTERNAL_ERROR: Code.Internal,
  UNAUTHENTICATED: Code.Unauthenticated,
  ENGINE_STOPPED: Code.Unavailable,
  QUEUE_FULL: Code.ResourceExhausted,
  WORKER_CRASHED: Code.Unavailable,
  REQUEST_TOO_LARGE: Code.ResourceExhausted,
  NOT_IMPLEMENTED: Code.Unimplemented,
  TOOL_NOT_FOUND: Code.NotFound,
  MIGRATION_NOT_FOUND: Code.NotFound,
  TOOL_EXISTS: Code.AlreadyExists,
  MIGRATION_IN_PROGRESS: Code.FailedPrecondition,
  EVENTS_LOST: Code.ResourceExhausted,
  SUBSCRIPTION_NOT_FOUND: Code.NotFound,
  CANCELLED: Code.Canceled,
  LEASE_NOT_FOUND: Code.NotFound,
} as const satisfies Record<string, Code>;

export type ErrorReason = keyof typeof REASON_CODES;

export interface ServiceErrorOptions {
  /** ErrorInfo metadata: string values only (resource, limit, script_id, field, ...). */
  metadata?: Record<string, string | number | boolean | undefined>;
  /** Adds google.rpc.RetryInfo: the client may retry after this delay. */
  retryAfterMs?: number;
  /** Adds google.rpc.BadRequest with one field violation. */
  field?: string;
  /** More details after ErrorInfo (and RetryInfo, BadRequest), already bounded by their maker. */
  details?: ConstructorParameters<typeof ConnectError>[3];
  /** Overrides the reason's default code (e.g. DATA_LOSS for an INTERNAL_ERROR from a damaged store). */
  code?: Code;
  cause?: unknown;
}

/**
 * An error's message and metadata travel in response trailers (grpc-message, and twice more in
 * grpc-status-details-bin). Clients refuse trailers past 8 KiB (grpcio) to 64 KiB (Node) by
 * resetting the whole connection, and a message may quote the request: both are held short.
 */
export const MAX_ERROR_MESSAGE_BYTES = 512;
export const MAX_ERROR_METADATA_BYTES = 256;

/**
 * `text` cut to at most `maxBytes` of UTF-8, on a character boundary, marked with "…" when cut;
 * a lone surrogate (a script's text may hold one) is U+FFFD, as binary protobuf writes it: grpc-js
 * percent-encodes a status message with encodeURI, which throws on one, and JSON clients refuse it.
 */
export function clipText(text: string, maxBytes: number): string {
  text = text.toWellFormed();
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  const budget = maxBytes - 3; // "…" is three bytes
  let end = Math.min(text.length, budget);
  while (Buffer.byteLength(text.slice(0, end)) > budget) end--;
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--; // never half a surrogate pair
  return `${text.slice(0, end)}…`;
}

/** Builds the service's error for a reason. */
export function serviceError(reason: ErrorReason, message: string, options: ServiceErrorOptions = {}): ConnectError {
  message = clipText(message, MAX_ERROR_MESSAGE_BYTES);
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    if (value !== undefined) metadata[key] = clipText(String(value), MAX_ERROR_METADATA_BYTES);
  }
  const field = options.field === undefined ? undefined : clipText(options.field, MAX_ERROR_METADATA_BYTES);
  if (field !== undefined) metadata.field = field;
  const details: ConstructorParameters<typeof ConnectError>[3] = [
    { desc: ErrorInfoSchema, value: { reason, domain: ERROR_DOMAIN, metadata } },
  ];
  if (options.retryAfterMs !== undefined) {
    details.push({ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(options.retryAfterMs) } });
  }
  if (field !== undefined) {
    details.push({
      desc: BadRequestSchema,
      value: { fieldViolations: [{ field, description: message }] },
    });
  }
  details.push(...(options.details ?? []));
  return new ConnectError(message, options.code ?? REASON_CODES[reason], undefined, details, options.cause);
}

export const invalidArgument = (field: string, message: string): ConnectError =>
  serviceError("VALIDATION_ERROR", message, { field });

/**
 * The server's shutdown has begun: UNAVAILABLE ENGINE_STOPPED with RetryInfo, a clean and
 * retryable status that tells clients to go elsewhere or come back later.
 */
export const shuttingDownError = (metadata?: ServiceErrorOptions["metadata"]): ConnectError =>
  serviceError("ENGINE_STOPPED", "the server is shutting down", { retryAfterMs: 1000, metadata });

export const notImplemented = (what: string): ConnectError =>
  serviceError("NOT_IMPLEMENTED", `${what} is not implemented by this build`);

/** The first line of what an error says (host errors run on with stacks and hints). */
export const firstLine = (err: unknown): string => String((err as Error)?.message ?? err).split("\n")[0]!;

/**
 * Why a call's signal was aborted, as the service's error: connect's own deadline and cancel
 * errors carry no ErrorInfo, so they become TIMEOUT and CANCELLED; one that has it is kept.
 */
export function abortedWith(signal: AbortSignal): ConnectError {
  const reason: unknown = signal.reason;
  if (reason instanceof ConnectError && reason.code === Code.DeadlineExceeded) return serviceError("TIMEOUT", "the call's deadline passed", { cause: reason });
  if (reason instanceof ConnectError && reason.findDetails(ErrorInfoSchema).length > 0) return reason;
  return serviceError("CANCELLED", "the call was cancelled", { cause: reason });
}

/** What an error says, without the "[code]" prefix a ConnectError's message carries. */
export function messageOf(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Refusals whose SecurityViolation event was published where they were thrown (a grant refused
 * inside ExecuteScript or RunScript, an execution ended for an escape attempt): the guard publishes
 * one for every other SECURITY_VIOLATION a handler throws, and must not publish these twice.
 */
const announcedViolations = new WeakSet<object>();
export function announcedViolation<E extends Error>(err: E): E {
  announcedViolations.add(err);
  return err;
}
export const violationAnnounced = (err: unknown): boolean => typeof err === "object" && err !== null && announcedViolations.has(err);

/** The reason in an error's ErrorInfo, if it has one. */
export function reasonOf(err: unknown): string | undefined {
  if (!(err instanceof ConnectError)) return undefined;
  const info = err.findDetails(ErrorInfoSchema)[0];
  return info?.reason;
}

/**
 * Anything thrown by a handler becomes a ConnectError. Errors that carry a known `reason`
 * (as the engine's, events' and registry's typed errors do) keep it; anything else is
 * INTERNAL with a generic message, so host details never reach the caller.
 */
export function toServiceError(err: unknown): ConnectError {
  if (err instanceof ConnectError) {
    if (Buffer.byteLength(err.rawMessage) <= MAX_ERROR_MESSAGE_BYTES && err.rawMessage.isWellFormed()) return err;
    const clipped = new ConnectError(clipText(err.rawMessage, MAX_ERROR_MESSAGE_BYTES), err.code, err.metadata, undefined, err.cause);
    clipped.details = err.details;
    return clipped;
  }
  if (err instanceof Error && typeof (err as { reason?: unknown }).reason === "string") {
    const e = err as Error & {
      reason: string;
      retryAfterMs?: number;
      field?: string;
      resource?: string;
      limit?: number;
      metadata?: Record<string, string | number>;
    };
    const reason = REASON_ALIASES[e.reason] ?? e.reason;
    if (reason in REASON_CODES) {
      return serviceError(reason as ErrorReason, e.message, {
        retryAfterMs: e.retryAfterMs,
        field: e.field,
        // Only the fields set: an absent resource or limit must not blank the metadata's own.
        metadata: { ...e.metadata, ...(e.resource !== undefined && { resource: e.resource }), ...(e.limit !== undefined && { limit: e.limit }) },
        cause: err,
      });
    }
  }
  // The store found no room (node:sqlite's SQLITE_FULL): not the caller's fault, nor a bug; later,
  // with room made, the same call succeeds. A damaged database file needs its operator. Both are
  // noted for health.
  const fault = noteStoreFault(err);
  if (fault === "full") {
    return serviceError("RESOURCE_EXCEEDED", "the server's storage is full", { metadata: { resource: "disk" }, retryAfterMs: 30_000, cause: err });
  }
  if (fault === "damaged") {
    return serviceError("INTERNAL_ERROR", "the server's store is damaged; its operator must restore it", { code: Code.DataLoss, metadata: { resource: "store" }, cause: err });
  }
  return serviceError("INTERNAL_ERROR", "internal error", { cause: err });
}

/** Reasons other parts use for the same thing. */
const REASON_ALIASES: Record<string, ErrorReason> = { INVALID_ARGUMENT: "VALIDATION_ERROR" };
