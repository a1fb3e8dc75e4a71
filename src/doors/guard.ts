// Wraps a service implementation once, for both doors: authenticate the caller, turn every
// thrown value into the service's error, and log each call. Health and reflection are public
// (probes and grpcurl need no token); everything else needs a principal.
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ContextValues, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { TLSSocket } from "node:tls";
import type { Authenticator } from "../auth/principal.ts";
import type { Principal } from "../config/types.ts";
import { MISSING_CREDENTIALS, principalKey } from "../auth/principal.ts";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientCertificateKey, clientCertificateValues } from "../auth/client-certificate.ts";
import { abortedWith, notImplemented, reasonOf, serviceError, shuttingDownError, toServiceError, violationAnnounced } from "../errors.ts";
import { resumeAfterOf } from "../events/resumable-source.ts";
import type { Logger } from "../log.ts";
import type { RpcCall, RpcTelemetry } from "../telemetry/index.ts";
import { atDoor } from "../telemetry/rpc.ts";
import type { StreamQuota } from "./stream-quota.ts";
import type { InFlight } from "./in-flight.ts";
import { throwIfMalformed } from "./malformed-request.ts";
import { untilAborted } from "./until-aborted.ts";
import { peerKey } from "./peer.ts";
import { peerOf } from "./cut-log.ts";
import { onceAborted } from "./call-aborted.ts";

/**
 * How a stream ends when the server shuts down: UNAVAILABLE with RetryInfo, a clean and retryable
 * status. A source that knows where its reader can resume (a ResumableSource: an event
 * subscription) says so in the ErrorInfo (`resume_after_sequence`): events its filter skipped are
 * not missed ones.
 */
const shuttingDown = (source: unknown) => {
  const at = resumeAfterOf(source);
  return shuttingDownError(at === undefined ? undefined : { resume_after_sequence: String(at) });
};

export interface GuardOptions {
  authenticator: Authenticator;
  log: Logger;
  /** Serve without authentication (health, reflection). */
  public?: boolean;
  /** Ends every stream (UNAVAILABLE, after what it holds) when aborted: server shutdown. Unary calls are left to drain. */
  streamsSignal?: AbortSignal;
  /** Counts the streams in progress (shutdown waits for them before closing the doors). */
  openStreams?: InFlight;
  /** Counts the unary calls in progress (shutdown lets them finish before it ends the streams). */
  openCalls?: InFlight;
  /** Called for each call refused for missing or invalid credentials (a security event). */
  onUnauthenticated?: (method: string, reason: string, peer: string | undefined) => void;
  /**
   * Called for each call an authenticated principal was refused for lacking a right (a
   * SECURITY_VIOLATION: an admin RPC, a registry write, a migration above its level...) whose event
   * the handler did not publish itself (errors.ts announcedViolation).
   */
  onPermissionDenied?: (method: string, principal: Principal, detail: string, peer: string | undefined) => void;
  /** Called once per finished call, for metrics. */
  onCallDone?: (method: string, code: number, ms: number) => void;
  /** OpenTelemetry: a server span and a duration per call (absent when telemetry is off). */
  telemetry?: RpcTelemetry;
  /** Open streams per principal (shared by every service's guard); public streams are not counted. */
  streamQuota?: StreamQuota;
}

type AnyImpl = (req: unknown, ctx: HandlerContext) => unknown;

/** Node's errors for a write to a stream already destroyed or ended: the caller went away mid-response. */
const WRITE_AFTER_DESTROY = new Set(["ERR_STREAM_DESTROYED", "ERR_STREAM_WRITE_AFTER_END", "ERR_HTTP2_INVALID_STREAM"]);
function writeAfterDestroy(err: unknown): boolean {
  // The error itself, or one level down (an error that wraps it).
  for (let e = err, depth = 0; e instanceof Error && depth < 2; e = e.cause, depth++) {
    if (WRITE_AFTER_DESTROY.has(String((e as { code?: unknown }).code))) return true;
  }
  return false;
}

export function guard<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>, options: GuardOptions): ServiceImpl<S> {
  const out: Record<string, AnyImpl> = {};
  for (const method of service.methods) {
    const fn = (impl as Record<string, AnyImpl | undefined>)[method.localName];
    const name = `${service.typeName}/${method.name}`;
    const finish = (start: number, call: RpcCall | undefined, err?: unknown, ctx?: HandlerContext) => {
      const ms = performance.now() - start;
      let e = err === undefined ? undefined : toServiceError(err);
      // A caller whose deadline passed cancels the call as it gives up: that is the deadline, and
      // is recorded as such (the caller no longer listens to what it is told).
      const left = ctx?.timeoutMs();
      if (e?.code === Code.Canceled && left !== undefined && left <= 0) e = serviceError("TIMEOUT", "the call's deadline passed", { cause: err });
      // A plain error once the caller has gone (connect-node writing to a destroyed stream) is the
      // caller leaving, not a failure of ours: CANCELLED (or its deadline), as grpc-js reports it.
      else if (e && (e.code === Code.Internal || e.code === Code.Unknown) && !(err instanceof ConnectError) && (ctx?.signal.aborted || writeAfterDestroy(err))) {
        e = ctx?.signal.aborted ? abortedWith(ctx.signal) : serviceError("CANCELLED", "the call was cancelled", { cause: err });
      }
      const code = e?.code ?? 0;
      const principal = ctx?.values.get(principalKey);
      if (e && principal && reasonOf(e) === "SECURITY_VIOLATION" && !violationAnnounced(err)) options.onPermissionDenied?.(name, principal, e.rawMessage, ctx?.values.get(peerKey));
      options.onCallDone?.(name, code, ms);
      call?.end(code, e);
      if (e && (code === 13 || code === 2)) options.log.error("rpc failed", { method: name, code, error: String(e.cause ?? e) });
      else options.log.debug("rpc", { method: name, code, ms: Math.round(ms * 10) / 10 });
      return e;
    };
    const authenticate = (ctx: HandlerContext, req: unknown) => {
      // A door's gate may have authenticated already (authenticateBeforeBody).
      if (!options.public && !ctx.values.get(principalKey)) establishPrincipal(options, name, ctx);
      // Only an authenticated caller learns that its request did not decode.
      throwIfMalformed(req);
    };
    const missing = () => {
      throw notImplemented(name);
    };
    if (method.methodKind === "unary" || method.methodKind === "client_streaming") {
      out[method.localName] = async (req, ctx) => {
        const start = performance.now();
        const call = options.telemetry?.begin(name, ctx);
        options.openCalls?.opened();
        try {
          authenticate(ctx, req);
          const res = await (call ? call.within(() => (fn ?? missing)(req, ctx)) : (fn ?? missing)(req, ctx));
          finish(start, call);
          return res;
        } catch (err) {
          throw finish(start, call, err, ctx);
        } finally {
          options.openCalls?.closed();
        }
      };
    } else {
      out[method.localName] = async function* (req, ctx) {
        const start = performance.now();
        const call = options.telemetry?.begin(name, ctx);
        let release: (() => void) | undefined;
        options.openStreams?.opened();
        try {
          authenticate(ctx, req);
          const principal = ctx.values.get(principalKey);
          if (principal && options.streamQuota) release = options.streamQuota.acquire(principal.name);
          const source = (fn ?? missing)(req, ctx) as AsyncIterable<unknown>;
          yield* untilAborted(call ? call.bind(source) : source, ctx.signal, options.streamsSignal);
          // Ended by shutdown, not by the caller or the source: say so, so clients resume elsewhere or later.
          if (options.streamsSignal?.aborted && !ctx.signal.aborted) throw shuttingDown(source);
          // Ended by the call's own signal: its deadline passed (or the caller left) — never "OK".
          if (ctx.signal.aborted) throw abortedWith(ctx.signal);
          finish(start, call);
        } catch (err) {
          throw finish(start, call, err, ctx);
        } finally {
          release?.();
          options.openStreams?.closed();
          call?.end(1); // the caller went away mid-stream: CANCELLED (no-op when already ended)
        }
      };
    }
  }
  return out as unknown as ServiceImpl<S>;
}

/** How the HTTP door (connect-node on Node's servers) takes part in authentication. */
export interface HttpDoorAuth {
  /**
   * In connect-node's request gate, before any of its refusals: begins the call's span and duration
   * (telemetry/rpc.ts atDoor), ended with the door's refusal when no handler takes it (a message
   * over the cap, a bad grpc-timeout, a body not in time, a refusal of the gate), as the call's
   * signal aborts with it. After mendUndecodableRequests, whose mended code it then records.
   */
  begins(ctx: HandlerContext): void;
  /** connect-node's request gate: refuses a caller without valid credentials before its body is read. */
  beforeBody(ctx: HandlerContext): void;
  /** connect-node's contextValues (mTLS): the verified client certificate of the request's connection. */
  contextValues(req: { socket: unknown }): ContextValues;
  /** The secure server's tlsClientError (mTLS): a refused client certificate is announced like a refused token. */
  handshakeRefused(err: Error & { code?: string }, socket: TLSSocket): void;
}

/**
 * Authentication before the request is read, for a door that can run it there (connect-node's
 * request gate): a caller without valid credentials is refused before its body is read, let alone
 * parsed. The principal it finds is the one the guard then uses. Public services are left to it.
 */
export function authenticateBeforeBody(options: GuardOptions, publicServices: ReadonlySet<string>): HttpDoorAuth {
  return {
    begins: (ctx) => {
      if (!options.telemetry) return;
      const refused = atDoor(options.telemetry, `${ctx.service.typeName}/${ctx.method.name}`, ctx);
      onceAborted(ctx, (reason) => {
        // The caller went away (an AbortError): CANCELLED, not a server fault.
        const e = reason instanceof Error && reason.name === "AbortError" ? ConnectError.from(reason) : toServiceError(reason);
        refused(e.code, e);
      });
    },
    beforeBody: (ctx) => {
      if (publicServices.has(ctx.service.typeName)) return;
      const name = `${ctx.service.typeName}/${ctx.method.name}`;
      try {
        establishPrincipal(options, name, ctx);
      } catch (err) {
        // The guard never sees this call: count and trace the refusal here.
        const e = toServiceError(err);
        options.onCallDone?.(name, e.code, 0);
        options.telemetry?.begin(name, ctx).end(e.code, e);
        throw e;
      }
    },
    contextValues: clientCertificateValues,
    handshakeRefused: (err, socket) => {
      const why = refusedCertificate(err, socket);
      if (why) options.onUnauthenticated?.("TLS handshake", why, handshakePeer(socket));
    },
  };
}

/**
 * The peer of a refused handshake. A certificate that did not verify (another CA, expired) has its
 * TLS socket destroyed before tlsClientError, which then knows no address; the TCP socket under it
 * (Node's `_parent`) still does: the door read its peer when it accepted it.
 */
function handshakePeer(socket: TLSSocket): string | undefined {
  return peerOf(socket) ?? peerOf((socket as TLSSocket & { _parent?: { remoteAddress?: string; remotePort?: number } })._parent);
}

/**
 * Why a failed handshake was a refused client certificate, or undefined for any other failure (a
 * plaintext client, a scanner, a client refusing the server's certificate). Node destroys a
 * connection whose certificate did not verify once the handshake is done, with the verification
 * error in `authorizationError`; one without a certificate fails inside the handshake.
 */
function refusedCertificate(err: Error & { code?: string }, socket: TLSSocket): string | undefined {
  const verify = socket.authorizationError as Error | string | undefined; // Node sets the code: a string
  if (verify) return `client certificate refused (${typeof verify === "string" ? verify : verify.message})`;
  if (err.code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE") return "no client certificate";
  return undefined;
}

/**
 * Puts the caller's principal in the call's context values; a refused credential is announced, then
 * thrown. A HealthCheck sent with no credential at all is refused unannounced: a health probe is no
 * attack (grpc.health.v1 and /health need none, and `scriptengine health` without a token asks
 * HealthCheck first), and announced, every probe would be a security event and a warn line.
 */
function establishPrincipal(options: GuardOptions, name: string, ctx: HandlerContext): void {
  try {
    ctx.values.set(principalKey, options.authenticator.authenticate(ctx.requestHeader, ctx.values.get(clientCertificateKey)));
  } catch (err) {
    const reason = toServiceError(err).rawMessage;
    if (!(name === HEALTH_CHECK && reason.startsWith(MISSING_CREDENTIALS))) options.onUnauthenticated?.(name, reason, ctx.values.get(peerKey));
    throw err;
  }
}

const HEALTH_CHECK = `${ScriptService.typeName}/${ScriptService.method.healthCheck.name}`;
