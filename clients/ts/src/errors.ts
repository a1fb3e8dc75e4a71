// Typed errors: every failed call becomes a ScriptEngineError subclass chosen by its gRPC code,
// carrying the server's google.rpc.ErrorInfo (reason, domain, metadata), google.rpc.BadRequest's
// field violations and, when the server says a retry can succeed, google.rpc.RetryInfo's delay. They extend ConnectError, so code that
// already handles Connect errors keeps working.
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import type { ExecutionError, ExecutionResult } from "../../../gen/ts/scriptengine/v1/script_pb.js";
import { ExecutionErrorKind } from "../../../gen/ts/scriptengine/v1/script_pb.js";
import { ExecutionOutputSchema, type ExecutionOutput } from "../../../gen/ts/scriptengine/v1/errors_pb.js";
import { LossReason, type EventsLost } from "../../../gen/ts/scriptengine/v1/event_service_pb.js";

/** The domain of the server's ErrorInfo. */
export const ERROR_DOMAIN = "scriptengine.v1";

/** One invalid request field (google.rpc.BadRequest.FieldViolation). */
export interface FieldViolation {
  /** The field's path, e.g. "source" or "context.timeout". */
  readonly field: string;
  /** Why it is invalid. */
  readonly description: string;
}

export class ScriptEngineError extends ConnectError {
  /** ErrorInfo.reason, e.g. "SCRIPT_NOT_FOUND" ("" when the server sent none). */
  readonly reason: string;
  /** ErrorInfo.domain ("scriptengine.v1" for the server's own errors). */
  readonly domain: string;
  /** ErrorInfo.metadata (resource, limit, permission, ...). */
  readonly errorMetadata: Readonly<Record<string, string>>;
  /** RetryInfo.retry_delay in milliseconds, when the server sent one. */
  readonly retryDelayMs: number | undefined;
  /** BadRequest.field_violations: the request fields the server rejected (empty when none). */
  readonly fieldViolations: readonly FieldViolation[];
  /**
   * A run stopped by a limit (TIMEOUT; RESOURCE_EXHAUSTED for memory or output; CANCELLED) returns no
   * result: this is the end of what it printed (at most 1 KiB of each stream, with their sizes), when
   * the worker still had it. Undefined otherwise.
   */
  readonly executionOutput: ExecutionOutput | undefined;

  constructor(source: ConnectError) {
    super(source.rawMessage, source.code, source.metadata, undefined, source.cause ?? source);
    this.name = new.target.name;
    this.details = source.details;
    const info = source.findDetails(ErrorInfoSchema)[0];
    this.reason = info?.reason ?? "";
    this.domain = info?.domain ?? "";
    this.errorMetadata = Object.freeze({ ...(info?.metadata ?? {}) });
    this.executionOutput = source.findDetails(ExecutionOutputSchema)[0];
    const retry = source.findDetails(RetryInfoSchema)[0]?.retryDelay;
    this.retryDelayMs = retry ? Number(retry.seconds) * 1000 + Math.round(retry.nanos / 1e6) : undefined;
    this.fieldViolations = Object.freeze(
      source.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map(({ field, description }) => Object.freeze({ field, description }))),
    );
  }

  // ConnectError answers `instanceof` for any ConnectError-shaped value; the typed errors must
  // check the real prototype chain, or every ConnectError would pass for every subclass.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** The gRPC code's canonical name, e.g. "NOT_FOUND". */
  get codeName(): string {
    return codeName(this.code);
  }
}

/** DEADLINE_EXCEEDED: the call's deadline passed, or the server's own time limit did. */
export class TimeoutError extends ScriptEngineError {}
/** RESOURCE_EXHAUSTED: a limit, quota or full queue; see retryDelayMs. */
export class ResourceExhaustedError extends ScriptEngineError {}
/** NOT_FOUND: script, tool, migration, service, subscription or lease. */
export class NotFoundError extends ScriptEngineError {}
/** PERMISSION_DENIED: the principal lacks a permission or level. */
export class PermissionDeniedError extends ScriptEngineError {}
/** UNAUTHENTICATED: missing or wrong token. */
export class UnauthenticatedError extends ScriptEngineError {}
/** UNAVAILABLE: the server is unreachable or its engine is stopped. Idempotent calls are retried. */
export class UnavailableError extends ScriptEngineError {}
/** INVALID_ARGUMENT: a bad request or a script that does not compile. */
export class InvalidArgumentError extends ScriptEngineError {}
/** FAILED_PRECONDITION: e.g. a migration in progress. */
export class FailedPreconditionError extends ScriptEngineError {}
/** ALREADY_EXISTS. */
export class AlreadyExistsError extends ScriptEngineError {}
/** ABORTED. */
export class AbortedError extends ScriptEngineError {}
/** UNIMPLEMENTED: this server build does not offer the RPC. */
export class UnimplementedError extends ScriptEngineError {}
/** CANCELED: the caller cancelled (AbortSignal). */
export class CancelledError extends ScriptEngineError {}
/** INTERNAL or UNKNOWN. */
export class InternalError extends ScriptEngineError {}

const CLASSES: Partial<Record<Code, new (e: ConnectError) => ScriptEngineError>> = {
  [Code.DeadlineExceeded]: TimeoutError,
  [Code.ResourceExhausted]: ResourceExhaustedError,
  [Code.NotFound]: NotFoundError,
  [Code.PermissionDenied]: PermissionDeniedError,
  [Code.Unauthenticated]: UnauthenticatedError,
  [Code.Unavailable]: UnavailableError,
  [Code.InvalidArgument]: InvalidArgumentError,
  [Code.FailedPrecondition]: FailedPreconditionError,
  [Code.AlreadyExists]: AlreadyExistsError,
  [Code.Aborted]: AbortedError,
  [Code.Unimplemented]: UnimplementedError,
  [Code.Canceled]: CancelledError,
  [Code.Internal]: InternalError,
  [Code.Unknown]: InternalError,
};

const CODE_NAMES: Record<number, string> = {
  0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
  6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 10: "ABORTED",
  11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
};

export function codeName(code: Code): string {
  return CODE_NAMES[code] ?? `CODE_${code}`;
}

/** Converts anything a transport throws into a typed ScriptEngineError (idempotent). */
export function toScriptEngineError(err: unknown): ScriptEngineError {
  if (err instanceof ScriptEngineError) return err;
  const ce = ConnectError.from(err);
  if (isConnectionFailure(ce)) return new UnavailableError(new ConnectError(ce.rawMessage, Code.Unavailable, ce.metadata, undefined, ce.cause ?? ce));
  const Cls = CLASSES[ce.code] ?? ScriptEngineError;
  return new Cls(ce);
}

// Node's codes for a connection that failed or dropped: errno (ECONNRESET, EPIPE, EPROTO, ...), the
// HTTP/1 parser's (HPE_*: not an HTTP server, e.g. the gRPC port), TLS failures (ERR_TLS_CERT_ALTNAME_INVALID,
// ERR_SSL_*) and a broken HTTP/2 session. Not OpenSSL's ERR_OSSL_* (a PEM or key that does not load,
// "PEM routines::no start line"): the client's own material, which no retry or resume mends.
const CONNECTION_CODE = /^(E[A-Z]+|HPE_\w+|ERR_(TLS|SSL)_\w+|ERR_HTTP2_(SESSION|STREAM_CANCEL|GOAWAY|INVALID_SESSION|INVALID_STREAM|ERROR|PING)\w*)$/;

// The server's certificate failed verification: every OpenSSL verify code Node puts in `code` (its
// docs' "X509 certificate error codes"). Many name no CERT, among them the usual wrong-CA result.
const X509_VERIFY_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_CRL", "UNABLE_TO_DECRYPT_CERT_SIGNATURE", "UNABLE_TO_DECRYPT_CRL_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", "CERT_SIGNATURE_FAILURE", "CRL_SIGNATURE_FAILURE", "CERT_NOT_YET_VALID", "CERT_HAS_EXPIRED",
  "CRL_NOT_YET_VALID", "CRL_HAS_EXPIRED", "ERROR_IN_CERT_NOT_BEFORE_FIELD", "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "ERROR_IN_CRL_LAST_UPDATE_FIELD", "ERROR_IN_CRL_NEXT_UPDATE_FIELD", "OUT_OF_MEM", "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED", "INVALID_CA", "PATH_LENGTH_EXCEEDED", "INVALID_PURPOSE", "CERT_UNTRUSTED", "CERT_REJECTED", "HOSTNAME_MISMATCH",
]);

const isConnectionCode = (code: string) => code !== "ERR_STREAM_WRITE_AFTER_END" && (CONNECTION_CODE.test(code) || X509_VERIFY_CODES.has(code));

/**
 * An HTTP/2 stream the server closed with REFUSED_STREAM: Node's stream error (ERR_HTTP2_STREAM_ERROR,
 * which names any reset code, so the code must be read from its message) or connect-node's own
 * UNAVAILABLE for it.
 */
const isRefusal = (e: Error) =>
  ((e as { code?: unknown }).code === "ERR_HTTP2_STREAM_ERROR" && /\bNGHTTP2_REFUSED_STREAM\b/.test(e.message)) ||
  (e instanceof ConnectError && e.code === Code.Unavailable && /\bstream closed with error code REFUSED_STREAM\b/.test(e.rawMessage));

/**
 * The server refused the call's stream before processing any of it (HTTP/2 REFUSED_STREAM, RFC 9113
 * 8.7): e.g. a call sent as the server closed an idle connection (its GOAWAY names an earlier last
 * stream). Nothing reached the application, so sending it again is safe whatever the method, as
 * gRPC's transparent retry does.
 */
export function isRefusedStream(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (isRefusal(e)) return true;
  }
  return false;
}

/**
 * The HTTP transports (connect-node) report a connection that failed or dropped under a code of
 * their own choosing: ABORTED for a reset ("aborted", "socket hang up"), INTERNAL for a parser,
 * TLS or write error or a stream the server refused (REFUSED_STREAM). Such an error carries no
 * server detail and has the Node error as its cause; it is UNAVAILABLE, as grpc-js reports it, so
 * idempotent calls retry and subscriptions resume.
 */
function isConnectionFailure(ce: ConnectError): boolean {
  if (ce.code === Code.Unavailable || ce.details.length > 0) return false;
  if (ce.code !== Code.Aborted && ce.code !== Code.Internal && ce.code !== Code.Unknown && ce.code !== Code.Canceled) return false;
  for (let e: unknown = ce.cause, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if ((typeof code === "string" && isConnectionCode(code)) || isRefusal(e)) return true;
  }
  return false;
}

/**
 * A script that ran to its end and did not succeed (it threw, or returned what cannot be sent). Not
 * an RPC failure: thrown by the `run`/`execute` helpers when ExecutionResult.success is false. A run
 * stopped by a limit (time, memory, output) is an RPC error instead, with `executionOutput`.
 */
export class ScriptFailedError extends Error {
  readonly result: ExecutionResult;
  readonly kind: ExecutionErrorKind;
  readonly scriptError: ExecutionError | undefined;

  constructor(result: ExecutionResult) {
    const e = result.error;
    super(e ? `${e.name || "Error"}: ${e.message}` : "script failed");
    this.name = "ScriptFailedError";
    this.result = result;
    this.kind = e?.kind ?? ExecutionErrorKind.UNSPECIFIED;
    this.scriptError = e;
  }

  /** The kind's short name: "SCRIPT_THREW", "TIMEOUT", "MEMORY_LIMIT", ... */
  get kindName(): string {
    return ExecutionErrorKind[this.kind] ?? String(this.kind);
  }
}

/** Thrown by `subscribe()` when the server reports missed events and no `onLost` handler is set. */
export class EventsLostError extends Error {
  /** The server's notice, whole (as the Go SDK's `Lost` and Python's `lost`). */
  readonly lost: EventsLost;
  /** Why they were missed: LAGGED, RETENTION, or RESTART (a reset or replaced store: discard the checkpoint). */
  readonly reason: LossReason;
  readonly missedCount: bigint;
  readonly firstMissedSequence: bigint;
  readonly lastMissedSequence: bigint;
  constructor(lost: EventsLost) {
    // Sequences start at 1: a first missed sequence of 0 is a range the server cannot know (a RESTART
    // from a checkpoint beyond its latest, with nothing retained).
    const range = lost.firstMissedSequence > 0n ? `sequences ${lost.firstMissedSequence}..${lost.lastMissedSequence}, ` : "";
    super(`missed ${lost.missedCount} events (${range}${LossReason[lost.reason] ?? lost.reason})`);
    this.name = "EventsLostError";
    this.lost = lost;
    this.reason = lost.reason;
    this.missedCount = lost.missedCount;
    this.firstMissedSequence = lost.firstMissedSequence;
    this.lastMissedSequence = lost.lastMissedSequence;
  }
}
