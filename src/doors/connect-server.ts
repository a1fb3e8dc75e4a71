// The Connect door: connect-node serves Connect, gRPC-Web and gRPC on the HTTP port, over
// HTTP/1.1 and HTTP/2. Without TLS, one listener sniffs the HTTP/2 preface to tell h2c from
// HTTP/1.1; with TLS, ALPN decides.
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { cors, createContextValues, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import type { ServedService } from "./services.ts";
import type { HttpDoorAuth } from "./guard.ts";
import { handshakeTimeoutMs, type TlsMaterial } from "./tls.ts";
import { ListenError } from "./listen-error.ts";
import { MAX_CONCURRENT_STREAMS, type DoorLimits } from "./door-limits.ts";
import { mendUndecodableRequests, refuseUndecodableQuery } from "./undecodable-request.ts";
import { foreignCaller } from "./local-callers.ts";
import { SCRIPT_REQUEST_HEADER } from "../auth/principal.ts";
import { withEarlyResponsesEndingTheirRequest } from "./early-response.ts";
import { DoorConnections, ForceClose } from "./door-connections.ts";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { clipText, serviceError } from "../errors.ts";
import { MAX_TIMER_MS } from "./long-deadlines.ts";
import { grpcTimeoutMs } from "./grpc-timeout.ts";
import { RequestBody, requestBodyKey } from "./request-body.ts";
import { inviteOnlyBodiesThatFit } from "./expect-continue.ts";
import { withPlainHealth } from "./plain-health.ts";
import { cutLog, peerOf, type CutLog } from "./cut-log.ts";
import type { Logger } from "../log.ts";
import { throttledWarn } from "../log-throttle.ts";
import { peerKey } from "./peer.ts";
import { capConnections, logAcceptErrors } from "./max-connections.ts";
import { withRepeatedCredentials } from "./repeated-credentials.ts";
import { withMediaTypesSaid } from "./unsupported-media-type.ts";

export interface ConnectDoor {
  address: string;
  /** Stop accepting calls, end each connection once it carries none; force-close after graceMs. */
  close(graceMs: number): Promise<void>;
  /** After close(): force-close within `ms` if that is sooner (every call has ended). */
  cutAfter(ms: number): void;
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * As proto3 JSON parsers do by default (grpcurl, on the gRPC door): a misspelt key or enum name is
 * the caller's INVALID_ARGUMENT, not silently dropped (a dropped filter returns wrong data). Bytes
 * that are not UTF-8 are refused, as in the binary encodings, not replaced by U+FFFD (which would
 * be stored and run as if sent): connect-node's JSON codec takes a `textDecoder`, though its
 * option type does not say so (test/doors/json-utf8.test.ts would catch it going).
 */
const JSON_OPTIONS: ConnectNodeAdapterOptions["jsonOptions"] = Object.assign({ ignoreUnknownFields: false }, { textDecoder: new TextDecoder("utf-8", { fatal: true }) });

/** Node's default headersTimeout: the most a request's headers may take to arrive. */
const H1_HEADERS_TIMEOUT_MS = 60_000;
/** Node's default keepAliveTimeout: how long an HTTP/1.1 connection is kept idle between requests. */
const H1_KEEP_ALIVE_MS = 5_000;

/**
 * `auth.beforeBody` runs for every call before its body is read (connect-node's request gate): the
 * server authenticates there, so a caller without credentials costs no body reading or parsing.
 * With mTLS, `auth` also gets each call's verified client certificate and each refused one.
 * `localCallersOnly` (no credentials configured): only requests addressed to a loopback name, from
 * no origin but the configured ones, are served (local-callers.ts). `serving` answers GET /health
 * (plain-health.ts). Connections and calls cut for what their peer does are logged to `log`, throttled (cut-log.ts).
 */
export async function openConnectDoor(address: string, services: ServedService[], limits: DoorLimits, tls?: TlsMaterial, corsOrigins: string[] = [], auth?: HttpDoorAuth, localCallersOnly = false, serving?: () => boolean, log?: Logger): Promise<ConnectDoor> {
  const cuts = cutLog(log, "http");
  const warnUnencodable = log && throttledWarn(log);
  const unencodable = (method: string, detail: string) => void warnUnencodable?.("unencodable_response", "a response could not be encoded; INTERNAL sent instead", { method, detail: clipText(detail, 256) });
  // Each request's body, stoppable by its call's deadline and, when one message, bounded by idle_timeout (request-body.ts).
  const bodies = new WeakMap<object, RequestBody>();
  const adapter = connectNodeAdapter({
    routes: (router: ConnectRouter) => {
      for (const { service, impl } of services) router.service(service, impl);
    },
    readMaxBytes: limits.maxRequestBytes,
    jsonOptions: JSON_OPTIONS,
    contextValues: (req) => (tls?.ca && auth ? auth.contextValues(req) : createContextValues()).set(requestBodyKey, bodies.get(req)).set(peerKey, peerOf(req.socket)),
    requestGate: (ctx) => {
      // Mended before the call's telemetry (begins) records the error's code: what the client gets
      // (call-aborted.ts runs them in this order, on both of its paths).
      mendUndecodableRequests(ctx, limits.maxRequestBytes, unencodable);
      auth?.begins(ctx);
      if (localCallersOnly) refuseForeignCall(ctx, corsOrigins);
      ctx.values.get(requestBodyKey)?.endWith(ctx);
      auth?.beforeBody(ctx);
      refuseUndecodableQuery(ctx);
    },
    // Connect (POST, JSON or binary), gRPC-Web (binary) and gRPC: all three are on by default.
  });
  // CORS outermost: a 405 (withReadsOnlyByGet) reaches an allowed page readable, not as a CORS failure.
  // A credential header sent twice reaches authentication with both values (repeated-credentials.ts).
  // A 415 says what the method takes (unsupported-media-type.ts).
  let handler = withReadsOnlyByGet(withLongDeadlinesAsNone(withEncodingsInLowerCase(withRepeatedCredentials(withMediaTypesSaid(adapter, services)))), services);
  if (serving) handler = withPlainHealth(handler, serving);
  handler = withCors(handler, corsOrigins);
  if (localCallersOnly) handler = withLocalCallersOnly(handler, corsOrigins, services);
  // A response sent before its request body was read (too large) ends that body, so the
  // connection's next call is served (early-response.ts).
  handler = withEarlyResponsesEndingTheirRequest(handler, limits.maxRequestBytes);
  handler = withBoundedBodies(handler, bodies, limits.idleTimeoutMs, cuts);
  // As on the gRPC door: what one HTTP/2 connection may have in flight is bounded.
  const settings: http2.Settings = { maxConcurrentStreams: MAX_CONCURRENT_STREAMS };
  const connections = new DoorConnections(limits.idleTimeoutMs, cuts);
  const headersWithin = Math.min(H1_HEADERS_TIMEOUT_MS, limits.idleTimeoutMs);
  // An idle HTTP/1.1 connection is closed after headersWithin (guardHeaders): the `Keep-Alive:
  // timeout=` Node advertises must not promise longer, or clients reuse a socket being closed.
  const keepAliveTimeout = Math.min(H1_KEEP_ALIVE_MS, headersWithin);
  let listener: net.Server;
  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;
  if (tls) {
    // server.idle_timeout bounds the handshake too (Node's default is 120 s).
    const handshakeTimeout = handshakeTimeoutMs(limits.idleTimeoutMs);
    const secure = http2.createSecureServer({ settings, cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: Boolean(tls.ca), rejectUnauthorized: Boolean(tls.ca), allowHTTP1: true, handshakeTimeout }, handler);
    // HTTP/1.1 over TLS (ALPN http/1.1 or none) gets the same headers deadline as in plaintext,
    // from the end of the handshake: Node's own (60 s, checked every 30 s) ignores idle_timeout.
    guardHeaders(secure, headersWithin, cuts);
    // Its HTTP/1.1 responses read Node's keepAliveTimeout from it (its types do not say so).
    (secure as unknown as { keepAliveTimeout: number }).keepAliveTimeout = keepAliveTimeout;
    secure.on("secureConnection", (socket: net.Socket & { alpnProtocol?: string | false }) => {
      if (socket.alpnProtocol !== "h2") armHeaders(socket, headersWithin, cuts, "handshake");
    });
    h2 = listener = secure;
  } else {
    h2 = http2.createServer({ settings }, handler);
    const h1Server = (h1 = http.createServer({ keepAliveTimeout }, handler));
    guardHeaders(h1Server, headersWithin, cuts);
    listener = net.createServer((socket) => {
      // A connection that never says which protocol it speaks is closed like an idle one.
      socket.setTimeout(limits.idleTimeoutMs, () => {
        cuts("silent", peerOf(socket));
        socket.destroy();
      });
      let head = Buffer.alloc(0);
      const sniff = () => {
        const more: Buffer | null = socket.read();
        if (more === null) return socket.destroy();
        head = Buffer.concat([head, more]);
        const h2ish = head.equals(H2_PREFACE.subarray(0, Math.min(head.length, H2_PREFACE.length))) || head.subarray(0, H2_PREFACE.length).equals(H2_PREFACE);
        // "P" or "PR" may begin the preface, or a POST, PUT or PATCH: wait for the bytes that tell
        // (kept aside meanwhile: put back, they would wake this again at once).
        if (h2ish && head.length < 4) return void socket.once("readable", sniff);
        socket.setTimeout(0);
        socket.unshift(head);
        if (h2ish) return void h2.emit("connection", socket);
        armHeaders(socket, headersWithin, cuts, "request");
        h1Server.emit("connection", socket);
      };
      socket.once("readable", sniff);
    });
  }
  inviteOnlyBodiesThatFit(h2, limits.maxRequestBytes);
  if (h1) inviteOnlyBodiesThatFit(h1, limits.maxRequestBytes);
  // Over TLS the handshake is due within idle_timeout (120 s at most): this door's own deadline
  // cuts (and logs) it first, Node's handshakeTimeout, as long, is left as a backstop.
  connections.accepted(listener, tls ? handshakeTimeoutMs(limits.idleTimeoutMs) : undefined, "handshake");
  capConnections(limits.maxConnections, cuts)(listener);
  connections.follow(h2);
  connections.followRequests(h1 ?? h2);
  h2.on("session", (session: http2.ServerHttp2Session) => closeWhenIdle(session, limits.idleTimeoutMs));
  // mTLS: a refused client certificate is announced like a refused token (grpc-js, on the other
  // door, has no hook for its handshakes).
  if (tls?.ca && auth) h2.on("tlsClientError", auth.handshakeRefused);
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  await new Promise<void>((resolve, reject) => {
    listener.once("error", (err) => reject(new ListenError("server.http_address", address, err)));
    listener.listen(Number(address.slice(colon + 1)), host, () => resolve());
  });
  logAcceptErrors(listener, "http", log);
  const port = (listener.address() as net.AddressInfo).port;
  let force: ForceClose | undefined;
  return {
    address: `${address.slice(0, colon)}:${port}`,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const done = () => {
          force?.cancel();
          resolve();
        };
        force = new ForceClose(() => {
          connections.destroyAll();
          done();
        });
        force.within(graceMs);
        listener.close(() => done());
        // HTTP/2 sessions get GOAWAY, so clients open no new streams; every connection ends once
        // it carries no call: at once if it never started one (no handshake, preface or request
        // yet), after its GOAWAY is out if idle (door-connections.ts).
        connections.close();
        if (connections.size === 0) done();
      }),
    cutAfter: (ms) => force?.within(ms),
  };
}

/**
 * An HTTP/2 session with no stream open for `idleMs` gets GOAWAY (as grpc-js does on the gRPC port);
 * a long-lived subscription is an open stream, so it is never idle. HTTP/1.1 connections have
 * Node's keep-alive timeout, and this door's own headers deadline (guardHeaders).
 */
function closeWhenIdle(session: http2.ServerHttp2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => { timer = setTimeout(() => session.close(), idleMs); timer.unref(); };
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => { if (--open === 0 && !session.closed) arm(); });
  });
  session.once("close", () => clearTimeout(timer));
  arm();
}

export type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/**
 * HTTP/1.1 connections are handed to the http server by the sniffer rather than accepted by it,
 * so Node's own headersTimeout checks never run for them (they start with listen()): a client
 * trickling, or never finishing, its headers would hold its socket for good, before any
 * authentication. (Over TLS they run, but at Node's 60 s checked every 30 s, whatever
 * idle_timeout says.) Each connection gets `ms` for a request's headers to arrive, from its first
 * byte (with TLS, the end of its handshake) and again after each response. A cut is logged as
 * "headers" when part of a request had come (`since` "request", or bytes since), else as "silent"
 * for a connection that never sent one (`since` "handshake"); a kept-alive connection left idle
 * after an answer (`since` "answer") is not logged. A connection that closes disarms it: one Node's
 * parser refused (431, 400: its `clientError`, no `request`) is closed at once, and was no slow peer.
 */
const headerDeadlines = new WeakMap<net.Socket, NodeJS.Timeout>();
function armHeaders(socket: net.Socket, ms: number, cuts: CutLog, since: "request" | "handshake" | "answer"): void {
  if (!headerDeadlines.has(socket)) socket.once("close", () => clearTimeout(headerDeadlines.get(socket)));
  clearTimeout(headerDeadlines.get(socket));
  const from = socket.bytesRead;
  const timer = setTimeout(() => {
    if (since === "request" || socket.bytesRead > from) cuts("headers", peerOf(socket));
    else if (since === "handshake") cuts("silent", peerOf(socket));
    socket.destroy();
  }, ms);
  timer.unref();
  headerDeadlines.set(socket, timer);
}
function guardHeaders(h1: http.Server | http2.Http2SecureServer, ms: number, cuts: CutLog): void {
  h1.on("request", (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    if (req.httpVersionMajor !== 1) return; // HTTP/2 over TLS: its session has its own idle timeout
    const socket = req.socket as net.Socket;
    clearTimeout(headerDeadlines.get(socket));
    res.once("finish", () => {
      if (!socket.destroyed) armHeaders(socket, ms, cuts, "answer");
    });
  });
}

/** Makes each request's body stoppable; one message's is due within `withinMs` of its headers (request-body.ts). */
function withBoundedBodies(handler: Handler, bodies: WeakMap<object, RequestBody>, withinMs: number, cuts: CutLog): Handler {
  return (req, res) => {
    const body = new RequestBody(req, withinMs, () => cuts("body", peerOf(req.socket)));
    bodies.set(req, body);
    res.once("close", () => body.done());
    handler(req, res);
  };
}

/**
 * A deadline past what a timer can hold (some clients ask for 30 days to mean "none") would fire
 * at once; such a deadline is taken as none, and the script's own limits apply.
 */
function withLongDeadlinesAsNone(handler: Handler): Handler {
  return (req, res) => {
    const connect = req.headers["connect-timeout-ms"];
    if (typeof connect === "string" && /^\d+$/.test(connect) && Number(connect) > MAX_TIMER_MS) delete req.headers["connect-timeout-ms"];
    const grpc = req.headers["grpc-timeout"];
    if (typeof grpc === "string" && (grpcTimeoutMs(grpc) ?? 0) > MAX_TIMER_MS) delete req.headers["grpc-timeout"];
    handler(req, res);
  };
}

/** The headers naming a request's compression, on each protocol. */
const ENCODING_HEADERS = ["content-encoding", "connect-content-encoding", "grpc-encoding"] as const;

/**
 * Content codings are case-insensitive (RFC 9110 §8.4.1): `GZIP` is gzip. connect-node matches
 * them exactly, and would answer UNIMPLEMENTED.
 */
function withEncodingsInLowerCase(handler: Handler): Handler {
  return (req, res) => {
    for (const name of ENCODING_HEADERS) {
      const value = req.headers[name];
      if (typeof value === "string" && value !== value.toLowerCase()) req.headers[name] = value.toLowerCase();
    }
    handler(req, res);
  };
}

/** A call from a browser page on a foreign name or origin (see local-callers.ts): PERMISSION_DENIED. */
function refuseForeignCall(ctx: HandlerContext, corsOrigins: string[]): void {
  const foreign = foreignCaller(new URL(ctx.url).host, ctx.requestHeader.get("origin"), corsOrigins, ctx.requestHeader.get("sec-fetch-site"), ctx.requestHeader.has(SCRIPT_REQUEST_HEADER));
  if (!foreign) return;
  throw serviceError("SECURITY_VIOLATION", foreignRefusal(foreign), { metadata: { [foreign.what]: foreign.value } });
}

/** Why a foreign caller is refused, in the RPC error and the plain 403 alike. */
function foreignRefusal(foreign: NonNullable<ReturnType<typeof foreignCaller>>): string {
  const why = foreign.what === "origin" ? "from an origin not in server.cors_origins"
    : foreign.what === "fetch_site" ? "a browser's request from another site"
    : foreign.what === "script" ? "a script's, through the http tool"
    : foreign.what === "authority" ? "addressed to no plain host[:port]"
    : "addressed to a name that is not loopback";
  return `no credentials are configured: only local clients may call, and this request is ${why}`;
}

/**
 * The same refusal before the adapter: requests for an RPC go on to the request gate, which answers
 * in the call's protocol; anything else (a CORS preflight, an unknown path) is a plain 403.
 */
function withLocalCallersOnly(handler: Handler, corsOrigins: string[], services: ServedService[]): Handler {
  const rpcPaths = new Set(services.flatMap(({ service }) => service.methods.map((m) => `/${service.typeName}/${m.name}`)));
  return (req, res) => {
    const authority = "authority" in req ? req.authority : req.headers.host;
    const fetchSite = req.headers["sec-fetch-site"];
    const foreign = foreignCaller(authority, req.headers.origin, corsOrigins, typeof fetchSite === "string" ? fetchSite : undefined, SCRIPT_REQUEST_HEADER in req.headers);
    const rpc = req.method !== "OPTIONS" && rpcPaths.has((req.url ?? "").split("?")[0]!);
    if (foreign && (!rpc || foreign.what === "authority")) {
      res.statusCode = 403;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end(`forbidden: ${foreignRefusal(foreign)}\n`);
      return;
    }
    handler(req, res);
  };
}

/**
 * Reads (NO_SIDE_EFFECTS in the contract) may come as Connect GET; their answers are per caller
 * and live, so no cache may keep them (Cache-Control: no-store). A GET of any other method, and any
 * method but GET and POST, is answered 405 with the Allow header RFC 9110 requires and a body
 * saying why (connect-node sends neither).
 */
function withReadsOnlyByGet(handler: Handler, services: ServedService[]): Handler {
  const pathOf = (service: ServedService["service"], m: ServedService["service"]["methods"][number]) => `/${service.typeName}/${m.name}`;
  const reads = new Set(services.flatMap(({ service }) => service.methods.filter((m) => m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS).map((m) => pathOf(service, m))));
  const rpcs = new Set(services.flatMap(({ service }) => service.methods.map((m) => pathOf(service, m))));
  const refuse = (res: Parameters<Handler>[1], allow: string, why: string) => {
    res.statusCode = 405;
    res.setHeader("Allow", allow);
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end(`method not allowed: ${why}\n`);
  };
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0]!;
    if (req.method === "GET") res.setHeader("Cache-Control", "no-store");
    // A CORS preflight is withCors's (an allowed origin's) or connect-node's to answer.
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (rpcs.has(path) && req.method !== "POST" && !preflight) {
      const read = reads.has(path);
      if (req.method === "GET" && !read) return refuse(res, "POST", "only reads may be called with GET; send this call as a POST");
      if (req.method !== "GET") return refuse(res, read ? "GET, POST" : "POST", read ? "call this method with POST (or GET, a read)" : "call this method with POST");
    }
    handler(req, res);
  };
}

/** Headers a browser may send besides Connect's own: the credentials (README, Auth). */
const CREDENTIAL_HEADERS = ["Authorization", "X-Api-Key"];

/** W3C trace context, which the server's spans continue (README, Telemetry). */
const TRACE_HEADERS = ["Traceparent", "Tracestate"];

/**
 * Browsers on the configured origins may call the door (Connect and gRPC-Web): a preflight gets
 * the methods and headers the protocols use, a call the headers it may read. Other origins get no
 * CORS headers, so browsers keep their scripts out; non-browser clients are unaffected.
 */
function withCors(handler: Handler, origins: string[]): Handler {
  if (origins.length === 0) return handler;
  const any = origins.includes("*");
  const allowed = new Set(origins);
  const allowHeaders = [...cors.allowedHeaders, ...CREDENTIAL_HEADERS, ...TRACE_HEADERS].join(", ");
  const exposeHeaders = cors.exposedHeaders.join(", ");
  const allowMethods = cors.allowedMethods.join(", ");
  return (req, res) => {
    const origin = req.headers.origin;
    if (typeof origin === "string" && (any || allowed.has(origin))) {
      res.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
      res.setHeader("Vary", "Origin");
      if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
        res.setHeader("Access-Control-Allow-Methods", allowMethods);
        res.setHeader("Access-Control-Allow-Headers", allowHeaders);
        res.setHeader("Access-Control-Max-Age", "7200");
        res.statusCode = 204;
        res.end();
        return;
      }
      res.setHeader("Access-Control-Expose-Headers", exposeHeaders);
    }
    handler(req, res);
  };
}
