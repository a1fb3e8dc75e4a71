// gRPC over connect-node's HTTP/2 client, with one correction: a session torn down before the
// server's response headers (refused at the TLS layer: a plaintext client on a TLS port, a client
// certificate the server does not trust) closes the pending stream with RST_STREAM CANCEL, which
// connect-node reports as CANCELED though the caller cancelled nothing. It is UNAVAILABLE, so
// idempotent calls retry and subscriptions resume as after any failed connection. Its connections
// are its own, so close() closes them, as the grpc-js transport's does.
import type * as http2 from "node:http2";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { validateReadWriteMaxBytes, type UniversalClientFn } from "@connectrpc/connect/protocol";
import { createTransport } from "@connectrpc/connect/protocol-grpc";
import { compressionBrotli, compressionGzip, createNodeHttpClient, Http2SessionManager, type NodeHttpClientOptions } from "@connectrpc/connect-node";
import { ConnectionPool } from "./connection-pool.ts";
import { mappingStreamErrors } from "./stream-errors.ts";

/** What createNodeHttpClient's sessionProvider returns (connect-node does not export its name). */
type SessionManager = ReturnType<NonNullable<Extract<NodeHttpClientOptions, { httpVersion: "2" }>["sessionProvider"]>>;

export interface GrpcHttp2TransportOptions {
  /** http(s)://host:port of the HTTP port. */
  baseUrl: string;
  /** Passed to http2.connect (ca, cert, key, ...). */
  nodeOptions?: http2.SecureClientSessionOptions;
  /** HTTP/2 pings (see ConnectOptions.keepalive); none when omitted. */
  keepalive?: { timeMs: number; timeoutMs: number };
}

/**
 * A rejection before the response headers arrived is a failed connection unless the call's own
 * signal (the caller's abort or its deadline) ended it.
 */
export function unavailableBeforeHeaders(inner: UniversalClientFn): UniversalClientFn {
  return async (req) => {
    try {
      return await inner(req);
    } catch (e) {
      if (req.signal?.aborted || !(e instanceof ConnectError) || e.code !== Code.Canceled) throw e;
      throw new ConnectError(`the connection closed before the server answered (${e.rawMessage})`, Code.Unavailable, undefined, undefined, e);
    }
  };
}

/** What a call on a closed transport fails with, in flight or later (as on grpc-js). */
const closedError = () => new ConnectError("the client was closed", Code.Canceled);

/** HTTP/2 sessions to one server, each carrying a bounded number of calls (see ConnectionPool). */
export class Http2SessionPool implements SessionManager {
  readonly authority: string;
  readonly #pool: ConnectionPool<Http2SessionManager>;
  readonly #owner = new WeakMap<http2.ClientHttp2Stream, Http2SessionManager>();
  /** The sessions streams went over, until they close (see close()). */
  readonly #sessions = new Set<http2.Http2Session>();
  #closed = false;

  constructor(baseUrl: string, nodeOptions?: http2.SecureClientSessionOptions, keepalive?: { timeMs: number; timeoutMs: number }) {
    this.authority = new URL(baseUrl).origin;
    // Pings while calls are open; an idle connection is pinged before its next call instead (connect-node
    // does that past pingIntervalMs), so pinging it meanwhile would only keep it open on the server.
    const ping = keepalive ? { pingIntervalMs: keepalive.timeMs, pingTimeoutMs: keepalive.timeoutMs } : {};
    this.#pool = new ConnectionPool(() => new Http2SessionManager(baseUrl, ping, nodeOptions));
  }

  /** close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Closes every session (their streams end) and refuses later requests. A session that was just
   * destroyed for an unanswered ping has its error still to come, and leaving the state drops
   * connect-node's listener for it, so each session gets one that ignores it: uncaught, it would end
   * the process.
   */
  close(): void {
    this.#closed = true;
    for (const session of this.#sessions) session.on("error", () => {});
    for (const conn of this.#pool.connections) conn.abort(closedError());
  }

  async request(method: string, path: string, headers: http2.OutgoingHttpHeaders, options: Omit<http2.ClientSessionRequestOptions, "signal">): Promise<http2.ClientHttp2Stream> {
    // A session aborted by close() would connect again for the next request.
    if (this.#closed) throw closedError();
    const { conn, release } = this.#pool.acquire();
    try {
      const stream = await conn.request(method, path, headers, options);
      this.#owner.set(stream, conn);
      const session = stream.session;
      if (session && !this.#sessions.has(session)) {
        this.#sessions.add(session);
        session.once("close", () => this.#sessions.delete(session));
      }
      stream.once("close", release);
      return stream;
    } catch (e) {
      release();
      throw e;
    }
  }

  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void {
    this.#owner.get(stream)?.notifyResponseByteRead(stream);
  }
}

/**
 * createGrpcTransport's defaults (binary, gzip/br accepted, nothing compressed), over the wrapped
 * client. close() closes its connections: calls in flight and later ones fail CANCELLED "the client
 * was closed", whatever the closed session made of them.
 */
export function createGrpcHttp2Transport(options: GrpcHttp2TransportOptions): Transport & { close(): void } {
  const sessions = new Http2SessionPool(options.baseUrl, options.nodeOptions, options.keepalive);
  const closedOr = (e: unknown) => (sessions.closed ? closedError() : e);
  const inner = createTransport({
    baseUrl: options.baseUrl,
    httpClient: unavailableBeforeHeaders(createNodeHttpClient({ httpVersion: "2", sessionProvider: () => sessions })),
    useBinaryFormat: true,
    interceptors: [],
    acceptCompression: [compressionGzip, compressionBrotli],
    sendCompression: null,
    ...validateReadWriteMaxBytes(undefined, undefined, undefined),
  });
  return {
    close: () => sessions.close(),
    async unary(...args) {
      if (sessions.closed) throw closedError();
      return inner.unary(...args).catch((e: unknown) => Promise.reject(closedOr(e)));
    },
    async stream(...args) {
      if (sessions.closed) throw closedError();
      const res = await inner.stream(...args).catch((e: unknown) => Promise.reject(closedOr(e)));
      return mappingStreamErrors(res, closedOr);
    },
  };
}
