// Exit codes scripts can rely on, and the one-line error the CLI prints before exiting.
import { Code, ConnectError } from "@connectrpc/connect";
import { ScriptEngineError, codeName, toScriptEngineError } from "../../clients/ts/src/index.ts";
import { AMBIGUOUS_CLOSE } from "./port-probe.ts";

export const EXIT = {
  /** Success. */
  OK: 0,
  /** The server did the work and reports failure: the script threw or did not compile, a validation or migration failed. */
  FAILED: 1,
  /** Bad command line (unknown flag, bad JSON, unreadable file) or a request the server rejected as invalid. */
  USAGE: 2,
  /** The server is unreachable or not serving. */
  UNAVAILABLE: 3,
  /** The script, tool, migration or service does not exist. */
  NOT_FOUND: 4,
  /** Missing or wrong token, or the principal lacks a permission or security level. */
  DENIED: 5,
  /** A limit: deadline or timeout, memory, queue full, quota. */
  LIMIT: 6,
  /** This server does not implement the RPC (yet). */
  UNIMPLEMENTED: 7,
  /** State conflict: already exists, precondition failed (e.g. a migration in progress), aborted. */
  CONFLICT: 8,
  /** Anything else (internal server error). */
  INTERNAL: 10,
  /** The output could not be written (stdout on a full disk, an I/O error); not a reader that left (| head). */
  OUTPUT: 11,
  /** Interrupted by SIGINT (Ctrl-C); 128 + 2. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM; 128 + 15. */
  TERMINATED: 143,
} as const;

/** An error the CLI itself raises, with its exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.USAGE) {
    super(message);
    this.exitCode = exitCode;
  }
}

const BY_CODE: Partial<Record<Code, number>> = {
  [Code.Canceled]: EXIT.INTERRUPTED,
  [Code.InvalidArgument]: EXIT.USAGE,
  [Code.OutOfRange]: EXIT.USAGE,
  [Code.DeadlineExceeded]: EXIT.LIMIT,
  [Code.ResourceExhausted]: EXIT.LIMIT,
  [Code.NotFound]: EXIT.NOT_FOUND,
  [Code.PermissionDenied]: EXIT.DENIED,
  [Code.Unauthenticated]: EXIT.DENIED,
  [Code.Unavailable]: EXIT.UNAVAILABLE,
  [Code.Unimplemented]: EXIT.UNIMPLEMENTED,
  [Code.AlreadyExists]: EXIT.CONFLICT,
  [Code.FailedPrecondition]: EXIT.CONFLICT,
  [Code.Aborted]: EXIT.CONFLICT,
};

/** OpenSSL's errors for a first reply that is not a TLS record: the server speaks plaintext. */
const PLAINTEXT_REPLY = /SSL routines:[^:]*:(wrong version number|packet length too long|http request)/i;

/** The TLS 1.3 alert (116) of a server that wants a client certificate and got none. */
const CERTIFICATE_REQUIRED = /alert certificate required/i;
/** TLS alerts of a server that refused the client certificate given (unknown CA 48, bad 42, unknown 46, ...). */
const CERTIFICATE_REFUSED = /alert (unknown ca|bad certificate|certificate unknown|unsupported certificate|certificate revoked|certificate expired|decrypt error)/i;

let interruptedByUser = false;
/** Notes that SIGINT/SIGTERM arrived: only then is a CANCELLED call the user's doing (exit 130). */
export function noteInterrupted(): void {
  interruptedByUser = true;
}

/** The Node error code in an error's cause chain (e.g. HPE_INVALID_CONSTANT), if any. */
function nodeCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** An UNAVAILABLE whose connection was cut before any answer came (EPIPE / ECONNRESET). */
export function cutBeforeAnswer(err: unknown): boolean {
  if (!(err instanceof ScriptEngineError || err instanceof ConnectError)) return false;
  const e = toScriptEngineError(err);
  return e.code === Code.Unavailable && AMBIGUOUS_CLOSE.has(nodeCode(e.cause) ?? "");
}

/**
 * A connection that failed or was reset without the server saying why (no ErrorInfo reason): what
 * a port that is not there, or that speaks another protocol, gives every transport.
 */
export function connectionFailed(err: unknown): boolean {
  if (!(err instanceof ScriptEngineError || err instanceof ConnectError)) return false;
  const e = toScriptEngineError(err);
  return !e.reason && (e.code === Code.Unavailable || (e.code === Code.Canceled && !interruptedByUser));
}

/** A wait as the messages say it: "15 s", "500 ms". */
export const waitText = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/**
 * The exit code and the single line to print for anything a command threw. `probe`: what probing
 * the address found after a connection failed (see port-probe.ts); `http2OnlyPort`: an HTTP
 * transport reached an HTTP/2-only server; `tlsPort`: a plaintext connection reached a TLS server;
 * `clientCert`: the call presented one (--cert); `wait`: the client's own deadline, and what sets it.
 */
export function describeError(err: unknown, address: string, probe: { http2OnlyPort?: boolean; tlsPort?: boolean; clientCert?: boolean; wait?: { ms: number; setBy: string } } = {}): { exitCode: number; line: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, line: err.message };
  if (err instanceof ScriptEngineError || err instanceof ConnectError) {
    const e = toScriptEngineError(err);
    // A script that does not compile is the script's failure, not a usage error.
    let exitCode = e.reason === "COMPILATION_ERROR" ? EXIT.FAILED : (BY_CODE[e.code] ?? EXIT.INTERNAL);
    // A reset stream nobody asked to cancel (an HTTP/2 transport's RST_STREAM CANCEL, e.g. plaintext
    // to a TLS port) is a connection failure, not an interruption.
    const reset = e.code === Code.Canceled && !e.reason && !interruptedByUser;
    if (reset) exitCode = EXIT.UNAVAILABLE;
    const reason = e.reason && e.reason !== codeName(e.code) ? ` (${e.reason})` : "";
    // grpc-js ends "No connection established…" with an empty "Resolution note:".
    let message = e.rawMessage.replace(/\s+/g, " ").trim().replace(/\s*Resolution note:$/, "");
    // grpc-js adds its internals to a deadline: "Deadline exceeded after 14.994s,LB pick: 0.001s,remote_addr=…".
    if (e.code === Code.DeadlineExceeded) message = message.replace(/^(Deadline exceeded after [\d.]+s),.*$/, "$1");
    // The server's own limits come with a reason (TIMEOUT); a bare DEADLINE_EXCEEDED is the client's
    // deadline, one the user did not set (15 s), passing without an answer: the server is not
    // serving (3), as `metrics --watch` says, not a limit of the command's (6).
    if (e.code === Code.DeadlineExceeded && !e.reason) {
      exitCode = EXIT.UNAVAILABLE;
      message = `no answer from ${address}${probe.wait ? ` within ${waitText(probe.wait.ms)} (${probe.wait.setBy})` : ""}`;
    }
    // OpenSSL's answer to a plaintext reply ("…:wrong version number:../deps/openssl/…") says
    // nothing an operator can act on: say what it means, as the opposite case does.
    if ((e.code === Code.Unavailable || reset) && !e.reason && PLAINTEXT_REPLY.test(message)) {
      message = `the TLS handshake failed: the server does not speak TLS (${/^https:/i.test(address) ? "use an http:// address" : "drop --tls and any --ca, --cert, SE_TLS, SE_CA, SE_CERT"})`;
    }
    // A refused client certificate is OpenSSL's alert text, or (grpc-js, or a server that resets the
    // connection after the handshake) no detail at all.
    else if ((e.code === Code.Unavailable || reset) && !e.reason && CERTIFICATE_REQUIRED.test(message)) {
      message = "the TLS handshake failed: the server requires a client certificate (add --cert FILE --key FILE, or SE_CERT, SE_KEY)";
    } else if ((e.code === Code.Unavailable || reset) && !e.reason && CERTIFICATE_REFUSED.test(message)) {
      message = "the TLS handshake failed: the server refused the client certificate (--cert): is it signed by a CA the server trusts?";
    } else if ((e.code === Code.Unavailable || reset) && !e.reason && probe.clientCert && /ECONNRESET|Failed to connect|socket hang up|closed before the server answered/i.test(message)) {
      message += " (with --cert: the server may have refused the client certificate; is it signed by a CA the server trusts?)";
    }
    if ((e.code === Code.Unavailable || reset) && !e.reason) message = `cannot reach ${address}: ${message}`;
    if (e.code === Code.Unavailable && (probe.http2OnlyPort || nodeCode(e.cause)?.startsWith("HPE_"))) message += " (not an HTTP server: is this the gRPC port? the HTTP transports take the HTTP port)";
    else if (probe.tlsPort) message += ` (the server speaks TLS: ${/^http:/i.test(address) ? "use an https:// address" : "add --tls"}, and --ca FILE for a private CA)`;
    const meta = Object.entries(e.errorMetadata)
      .filter(([k]) => k !== "script_id" && k !== "execution_id")
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    return { exitCode, line: `${codeName(e.code)}${reason}: ${message}${meta ? ` [${meta}]` : ""}` };
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT" || e?.code === "EISDIR" || e?.code === "EACCES") return { exitCode: EXIT.USAGE, line: e.message };
  return { exitCode: EXIT.INTERNAL, line: String((err as Error)?.message ?? err) };
}
