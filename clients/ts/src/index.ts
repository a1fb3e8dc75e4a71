// Node entry point: the client over @grpc/grpc-js (default, the fastest Node gRPC stack) or over
// connect-node (Connect, gRPC-Web or gRPC over HTTP). Browsers use `./web.ts` instead.
import { createSecureContext } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createGrpcJsTransport } from "./grpc-js-transport.ts";
import { createGrpcHttp2Transport } from "./grpc-http2-transport.ts";
import { ScriptEngineClient, type ClientOptions } from "./client.ts";
import { checkOptionValues, invalidOption } from "./option-values.ts";

export * from "./client.ts";
export * from "./errors.ts";
export { createGrpcJsTransport } from "./grpc-js-transport.ts";
export * from "./types.ts";

export interface TlsOptions {
  /** PEM CA bundle to trust (default: the system roots). */
  ca?: string | Buffer;
  /** PEM client certificate and key, for mTLS: both or neither, loadable (else InvalidArgumentError when the client is built). */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface ConnectOptions extends ClientOptions {
  /**
   * Where the server is. For "grpc-js": host:port of the gRPC port (default 127.0.0.1:50051); an
   * http:// or https:// URL is an InvalidArgumentError.
   * For the HTTP transports: host:port or a base URL of the HTTP port (default 127.0.0.1:8080).
   * An empty string is unset: the default (as the CLI reads an empty SE_ADDRESS).
   */
  address?: string;
  /**
   * "grpc-js" (default), "connect" (Connect protocol, binary), "connect-json", "grpc-web",
   * "grpc-http2" (gRPC through connect-node), or any Connect Transport you built yourself. Another
   * name is an InvalidArgumentError.
   */
  transport?: "grpc-js" | "connect" | "connect-json" | "grpc-web" | "grpc-http2" | Transport;
  /**
   * TLS: `true` for system roots, or CA / client certificate. Plaintext when omitted. With an `http://`
   * address it is refused (InvalidArgumentError), never downgraded: give `https://` or host:port.
   */
  tls?: boolean | TlsOptions;
  /** grpc-js channel options (keepalive, message sizes, ...). */
  channelOptions?: grpc.ChannelOptions;
  /**
   * HTTP/2 pings on grpc-js and grpc-http2 (default every 30 s, answered within 10 s): a server that
   * stops answering (frozen, or a host gone without a reset) fails the calls and streams on that
   * connection with UnavailableError, so subscribe() and watch() resume. `false` sends none, and so
   * does a `timeMs` of 0 or Infinity (as Go's zero Time); a `timeoutMs` of 0 is the default (as Go's
   * zero Timeout). A value that is negative or NaN, or an
   * infinite `timeoutMs`, is an InvalidArgumentError when the client is built. The HTTP/1.1
   * transports (connect, grpc-web) cannot ping: a signal or timeout bounds their calls.
   */
  keepalive?: KeepaliveOptions | false;
}

export interface KeepaliveOptions {
  /** Ping a connection after this long without a word from the server (default 30 000; 0 or Infinity: no pings). */
  timeMs?: number;
  /** The connection is dead unless the ping is answered within this (default 10 000, also for 0; finite). */
  timeoutMs?: number;
}

/** Without pings a stream to a frozen server waits forever: TCP alone sees nothing wrong. */
export const DEFAULT_KEEPALIVE: Readonly<Required<KeepaliveOptions>> = { timeMs: 30_000, timeoutMs: 10_000 };

const buf = (v: string | Buffer | undefined) => (v === undefined ? undefined : Buffer.from(v));

/**
 * The largest response the server sends (its gRPC send limit). grpc-js receives 4 MiB by default,
 * less than a result whose outputs the server's configuration lets grow past the defaults.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * grpc-js waits between connection attempts 1 s growing to 120 s, and fails every call at once
 * meanwhile: after an outage, retries and stream resumes could not reach a server that was back for
 * many seconds. It has no way to reset that wait before a retry (Go's ResetConnectBackoff), so the
 * wait is bounded like the SDK's own retry backoff instead (from 100 ms up to 2 s). `channelOptions` override it.
 */
const RECONNECT_BACKOFF = { "grpc.initial_reconnect_backoff_ms": 100, "grpc.max_reconnect_backoff_ms": 2000 } as const;

/**
 * The pings to send, none for `false` and for a timeMs of 0 or Infinity: connect-node (grpc-http2)
 * would ping before every call and in a loop while calls are open at 0, and grpc-js pings every
 * 24.8 days (its longest timer) at Infinity. A timeoutMs of 0 is the default, as Go's zero Timeout:
 * a 0 ms timer would drop every connection at its first ping.
 */
function keepaliveOf(k: KeepaliveOptions | false | undefined): Required<KeepaliveOptions> | undefined {
  if (k === false) return undefined;
  const timeMs = k?.timeMs ?? DEFAULT_KEEPALIVE.timeMs;
  return timeMs === 0 || timeMs === Infinity ? undefined : { timeMs, timeoutMs: k?.timeoutMs || DEFAULT_KEEPALIVE.timeoutMs };
}

/** grpc-js keepalive, idle connections included (a dead one is then found before the next call). */
function grpcJsKeepalive(k: Required<KeepaliveOptions> | undefined): grpc.ChannelOptions {
  return k ? { "grpc.keepalive_time_ms": k.timeMs, "grpc.keepalive_timeout_ms": k.timeoutMs, "grpc.keepalive_permit_without_calls": 1 } : {};
}

/** grpc-js's credentials; what it refuses (a bad PEM, ...) is the SDK's InvalidArgumentError. */
function grpcJsCredentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  try {
    return grpc.credentials.createSsl(buf(tls.ca) ?? null, buf(tls.key) ?? null, buf(tls.cert) ?? null);
  } catch (e) {
    throw invalidOption(`tls: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

/** The names `transport` takes. */
const TRANSPORT_NAMES = ["grpc-js", "connect", "connect-json", "grpc-web", "grpc-http2"] as const;

/**
 * The client certificate and key, loaded as the HTTP transports will load them: they would fail
 * only at each call, a retried UnavailableError ("PEM routines::no start line"), where grpc-js
 * refuses them when the client is built. The CA is not checked: Node and grpc-js both skip what in
 * it is no certificate.
 */
function checkClientCertificate(tls: TlsOptions): void {
  if (tls.cert === undefined) return;
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (e) {
    throw invalidOption(`tls: the client certificate and key cannot be loaded: ${e instanceof Error ? e.message : String(e)}`, e);
  }
}

/** Creates a client. `new ScriptEngineClient(transport, options)` takes any transport directly. */
export function createScriptEngineClient(options: ConnectOptions = {}): ScriptEngineClient {
  checkOptionValues(options); // before a transport is made that nothing would close
  const kind = options.transport ?? "grpc-js";
  if (typeof kind !== "string") return new ScriptEngineClient(kind, options);
  // A misspelt name ("grpcjs") used to mean Connect JSON.
  if (!(TRANSPORT_NAMES as readonly string[]).includes(kind)) {
    throw invalidOption(`transport must be one of ${TRANSPORT_NAMES.join(", ")} (or a Connect Transport), not ${JSON.stringify(kind)}`);
  }
  // An empty address is unset, as the CLI reads an empty SE_ADDRESS (an unset variable passed on is
  // often ""): grpc-js could not parse it, and Connect looked up a host named "".
  const address = options.address || undefined;
  const tls = options.tls === true ? {} : options.tls || undefined;
  // grpc-js would read the URL as a DNS name and fail every call with a retried UnavailableError.
  if (kind === "grpc-js" && /^https?:\/\//i.test(address ?? "")) {
    throw invalidOption(
      `address ${JSON.stringify(address)} is a URL, but the grpc-js transport takes host:port of the gRPC port (with tls for TLS): ` +
        `give host:port, or a transport that takes a URL of the HTTP port ("connect", "connect-json", "grpc-web" or "grpc-http2")`,
    );
  }
  // The URL's scheme would win and send everything, the token too, in plaintext.
  if (tls && /^http:\/\//i.test(address ?? "")) {
    throw invalidOption(`tls is set but address ${JSON.stringify(address)} is a plaintext http:// URL: use https:// (or host:port), or leave tls out`);
  }
  // grpc-js refuses half a pair with a plain Error, the HTTP transports only at the first call.
  if (tls && (tls.cert === undefined) !== (tls.key === undefined)) {
    const [given, missing] = tls.cert === undefined ? ["key", "cert"] : ["cert", "key"];
    throw invalidOption(`tls.${given} without tls.${missing}: a client certificate needs both (mTLS)`);
  }
  if (tls) checkClientCertificate(tls);
  const keepalive = keepaliveOf(options.keepalive);
  if (kind === "grpc-js") {
    const credentials = grpcJsCredentials(tls);
    const channelOptions = { "grpc.max_receive_message_length": MAX_RESPONSE_BYTES, ...RECONNECT_BACKOFF, ...grpcJsKeepalive(keepalive), ...options.channelOptions };
    const transport = createGrpcJsTransport(address ?? "127.0.0.1:50051", { credentials, channelOptions });
    return new ScriptEngineClient(transport, options, () => transport.close());
  }
  const httpAddress = address ?? "127.0.0.1:8080";
  // A URL's scheme is case-insensitive (RFC 3986): HTTP://host is a URL too, not a host named "http".
  const baseUrl = /^https?:\/\//i.test(httpAddress) ? httpAddress : `${tls ? "https" : "http"}://${httpAddress}`;
  const nodeOptions = tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : undefined;
  if (kind === "grpc-http2") {
    const transport = createGrpcHttp2Transport({ baseUrl, nodeOptions, keepalive });
    return new ScriptEngineClient(transport, options, () => transport.close());
  }
  const transport =
    kind === "grpc-web"
      ? createGrpcWebTransport({ baseUrl, httpVersion: "1.1", nodeOptions })
      : createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: kind === "connect", nodeOptions });
  return new ScriptEngineClient(transport, options);
}
