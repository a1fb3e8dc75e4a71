// The connections of a door, each followed from its accepted socket to what it carries, so that at
// shutdown every one ends as soon as it carries no call. Node's server close() waits for every
// socket, and an HTTP/2 session ended gracefully waits for its peer to close the socket too: a
// connection that never started a call (a silent TCP connection, such as a load balancer's check,
// before its TLS handshake, HTTP/2 preface or first HTTP/1.1 request) or a silent peer would hold
// the door to its force timeout. Node's own closeIdleConnections() knows only HTTP/1.1 connections
// of a server that listened itself, while this door hands sniffed sockets to its HTTP/1.1 server
// (and, with TLS, HTTP/1.1 reaches the HTTP/2 server's fallback).
// The parts of one connection (accepted socket, TLS socket, HTTP/2 session, HTTP/1.1 requests) are
// matched by identity: each socket carries its Connection under a symbol, which the socket proxies
// of HTTP/2 sessions and requests pass through. A TLS socket is matched to its accepted socket once,
// by the TCP 4-tuple, unique among open connections. (The peer's address and port alone are not:
// on a wildcard door, one source port may reach two local addresses.)
import type * as http from "node:http";
import { constants as http2Constants } from "node:http2";
import type * as http2 from "node:http2";
import type { Server, Socket } from "node:net";
import { StalledStreams, cutOnStalledWrites } from "./write-stall.ts";
import { peerOf, type CutLog } from "./cut-log.ts";
import { MAX_PENDING_STREAMS } from "./door-limits.ts";
import { hasBody } from "./early-response.ts";

interface Connection {
  /** The accepted TCP socket: destroying it ends the TLS socket over it too. */
  raw: Socket;
  /** The peer's "address:port", for the cut log. */
  peer: string | undefined;
  /** What the protocol writes to: the TLS socket once the handshake is done, else `raw`. */
  socket: Socket;
  /** Its HTTP/2 session, until that closes. */
  session?: http2.ServerHttp2Session;
  /** It has carried an HTTP/2 session (an HTTP/1.1 connection's end is its server's business). */
  http2?: boolean;
  /** The peer has begun: an HTTP/2 peer's first frame (after its preface), or a request. */
  started: boolean;
  /** HTTP/2 streams and HTTP/1.1 responses in progress. */
  calls: number;
  /** Closes a connection that does not start in time (see accepted()). */
  timer?: NodeJS.Timeout;
  /** `timer` is cleared once the TLS handshake is done. */
  handshakeOnly: boolean;
  /** Being ended (release()). */
  released: boolean;
}

type AnyServer = http.Server | http2.Http2Server | http2.Http2SecureServer;

const CONNECTION = Symbol("door connection");
type Tagged = Socket & { [CONNECTION]?: Connection };

const tupleOf = (s: Socket): string | undefined =>
  s.remoteAddress === undefined || s.localAddress === undefined ? undefined : `${s.localAddress} ${s.localPort} ${s.remoteAddress} ${s.remotePort}`;

/**
 * How long a released HTTP/2 session may take to write what nghttp2 holds (its GOAWAY, a call's
 * last frames) and close, before its socket is ended anyway: it takes about a millisecond unless
 * the peer stops reading, and such a peer is the door's force-close's to cut.
 */
const SESSION_FLUSH_MS = 1000;

export class DoorConnections {
  readonly #all = new Set<Connection>();
  /** Open accepted sockets by TCP 4-tuple, for the TLS socket over one to find it. */
  readonly #byTuple = new Map<string, Connection>();
  #closing = false;
  readonly #stallMs: number | undefined;
  readonly #stalledStreams: StalledStreams | undefined;
  readonly #cuts: CutLog;
  /**
   * HTTP/2 streams and HTTP/1.1 requests of every connection whose body is still to come (see
   * follow()), oldest first, each with its peer's address.
   */
  readonly #pending = new Map<http2.ServerHttp2Stream | http.IncomingMessage, string | undefined>();

  /**
   * With `stallMs`, a connection whose peer stops taking what is written to it is cut, and an HTTP/2
   * stream reset (write-stall.ts). Each cut for what a peer does is told to `cuts` (cut-log.ts).
   */
  constructor(stallMs?: number, cuts: CutLog = () => {}) {
    this.#stallMs = stallMs;
    this.#stalledStreams = stallMs === undefined ? undefined : new StalledStreams(stallMs, (peer) => cuts("stream_stall", peer));
    this.#cuts = cuts;
  }

  get size(): number {
    return this.#all.size;
  }

  /**
   * Follows the sockets `server` accepts. With `startWithinMs`, one whose peer has not begun within
   * it (no TLS handshake done, no HTTP/2 frame, no request) is closed (the gRPC door's deadline);
   * with `until` "handshake", only its TLS handshake is due by then (the HTTP door over TLS, whose
   * protocols bound what follows). Either cut is logged naming the peer's address, taken here:
   * once Node's own handshake timeout has cut a TLS socket, it no longer knows it.
   */
  accepted(server: Server, startWithinMs?: number, until: "begun" | "handshake" = "begun"): void {
    server.prependListener("connection", (raw: Socket) => {
      const tuple = tupleOf(raw);
      if (tuple === undefined) return; // already gone
      const conn: Connection = { raw, peer: peerOf(raw), socket: raw, started: false, calls: 0, released: false, handshakeOnly: until === "handshake" };
      if (startWithinMs !== undefined) {
        conn.timer = setTimeout(() => this.#cut(conn, "silent"), startWithinMs);
        conn.timer.unref();
      }
      // Until a protocol's server takes the socket (the HTTP door sniffs first), a peer's reset
      // would be an 'error' nobody listens to: an uncaught exception that ends the process.
      raw.on("error", () => raw.destroy());
      cutOnceEnded(raw, conn, () => this.#cut(conn, "end_ignored"));
      (raw as Tagged)[CONNECTION] = conn;
      this.#all.add(conn);
      this.#byTuple.set(tuple, conn);
      const unwatch = this.#stallMs === undefined ? undefined : cutOnStalledWrites(() => conn.socket, () => this.#cut(conn, "write_stall"), this.#stallMs);
      raw.once("close", () => {
        unwatch?.();
        clearTimeout(conn.timer);
        this.#all.delete(conn);
        if (this.#byTuple.get(tuple) === conn) this.#byTuple.delete(tuple);
      });
      if (this.#closing) raw.destroy();
    });
  }

  /**
   * Follows what the connections handed to `server` carry: TLS, HTTP/2 sessions and their streams.
   * A stream whose request has not ended is pending: its peer decides how long it stays so (up to
   * idle_timeout for a one-message body, the call's deadline for a stream's), holding its state and
   * buffers. MAX_CONCURRENT_STREAMS bounds them per connection only, so the whole door holds at most
   * MAX_PENDING_STREAMS (HTTP/1.1 requests with a body to come counted too, followRequests()): a
   * new one past them cuts the oldest (see #admit()).
   */
  follow(server: AnyServer): void {
    server.prependListener("stream", (stream: http2.ServerHttp2Stream) => {
      if (stream.endAfterHeaders) return; // no body: the server, not its peer, decides when it ends
      const peer = (stream.session?.socket as Tagged | undefined)?.[CONNECTION]?.peer;
      this.#admit(stream, stream, peer);
    });
    // Before the HTTP/2 server's own listener, which starts the session.
    server.prependListener("secureConnection", (socket: Socket) => {
      const tuple = tupleOf(socket);
      const conn = tuple === undefined ? undefined : this.#byTuple.get(tuple);
      if (!conn) return;
      conn.socket = socket;
      if (conn.handshakeOnly) clearTimeout(conn.timer);
      (socket as Tagged)[CONNECTION] = conn;
      cutOnceEnded(socket, conn, () => this.#cut(conn, "end_ignored"));
    });
    server.on("session", (session: http2.ServerHttp2Session) => {
      const conn = (session.socket as Tagged | undefined)?.[CONNECTION];
      if (!conn) return;
      conn.session = session;
      conn.http2 = true;
      session.once("close", () => {
        if (conn.session === session) conn.session = undefined;
      });
      // Not the session itself: in plaintext it comes with the connection, before any byte.
      session.once("remoteSettings", () => this.#start(conn));
      session.on("stream", (stream: http2.ServerHttp2Stream) => {
        this.#start(conn);
        conn.calls++;
        stream.once("close", () => this.#ended(conn));
        this.#stalledStreams?.watch(stream, conn.peer);
      });
    });
  }

  /**
   * Follows the HTTP/1.x requests of `server` (its HTTP/2 ones are streams, followed above). Not
   * for grpc-js's servers: a 'request' listener turns on Node's compatibility layer for every stream.
   */
  followRequests(server: AnyServer): void {
    server.on("request", (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
      if (req.httpVersionMajor !== 1) return;
      const conn = (req.socket as Tagged)[CONNECTION];
      if (!conn) return;
      this.#start(conn);
      conn.calls++;
      res.once("close", () => this.#ended(conn));
      const h1 = req as http.IncomingMessage;
      if (hasBody(h1)) this.#admit(h1, res, conn.peer);
    });
  }

  /**
   * Counts `request`, whose body is still to come (it ends then; `closing` closes once its call is
   * over), among the door's pending ones. Past MAX_PENDING_STREAMS the oldest is cut (HTTP/2
   * RST_STREAM CANCEL, HTTP/1.1 its connection closed) and logged naming its peer:
   * a client's body takes moments to come, so the oldest is the likeliest held by its peer, and a
   * peer holding them all cannot keep the door from taking new calls, as refusing new ones would.
   */
  #admit(request: http2.ServerHttp2Stream | http.IncomingMessage, closing: NodeJS.EventEmitter, peer: string | undefined): void {
    if (this.#pending.size >= MAX_PENDING_STREAMS) {
      const [oldest, itsPeer] = this.#pending.entries().next().value!;
      this.#pending.delete(oldest);
      this.#cuts("oldest_pending", itsPeer);
      if ("session" in oldest) oldest.close(http2Constants.NGHTTP2_CANCEL);
      else oldest.socket.destroy();
    }
    this.#pending.set(request, peer);
    const settled = () => this.#pending.delete(request);
    request.once("end", settled);
    closing.once("close", settled);
  }

  /**
   * From now on a connection ends once it carries no call: HTTP/2 sessions get GOAWAY (so no new
   * streams), then those idle now end at once, the others as their last stream or response ends.
   */
  close(): void {
    this.#closing = true;
    for (const conn of this.#all) {
      conn.session?.close();
      if (conn.calls === 0) this.#release(conn);
    }
  }

  /** Cuts every connection left. */
  destroyAll(): void {
    for (const conn of this.#all) conn.raw.destroy();
  }

  /** Cuts a connection for what its peer did, and says so. */
  #cut(conn: Connection, kind: "silent" | "write_stall" | "end_ignored"): void {
    this.#cuts(kind, conn.peer);
    conn.raw.destroy();
  }

  #start(conn: Connection): void {
    conn.started = true;
    clearTimeout(conn.timer);
  }

  #ended(conn: Connection): void {
    if (--conn.calls === 0 && this.#closing) this.#release(conn);
  }

  /**
   * Never started: dropped. Started: what was written goes out first. nghttp2 writes what it holds
   * (a GOAWAY just sent, a call's last frames) in a later tick: ending the socket now would cut
   * it, so the session closes first (it writes all that, then ends the socket itself).
   */
  #release(conn: Connection): void {
    if (conn.released) return;
    conn.released = true;
    const { raw, socket, session } = conn;
    if (!conn.started || socket.destroyed) return void raw.destroy();
    if (!session) return endSocket(socket);
    const fallback = setTimeout(() => endSocket(socket), SESSION_FLUSH_MS);
    fallback.unref();
    session.once("close", () => {
      clearTimeout(fallback);
      endSocket(socket);
    });
    session.close();
  }
}

/**
 * Once the server has ended its side of `socket` (an HTTP/2 session closed for idle_timeout, a
 * GOAWAY), Node waits for the peer's end, which a peer keeping its side open never sends: the
 * connection goes SESSION_FLUSH_MS later (the TLS socket over it with it). Not HTTP/1.1, whose
 * server bounds its own ends (an early answer lingers 5 s to read the body it refused).
 */
function cutOnceEnded(socket: Socket, conn: Connection, destroy: () => void): void {
  socket.once("finish", () => {
    if (!conn.http2) return;
    const cut = setTimeout(destroy, SESSION_FLUSH_MS);
    cut.unref();
    conn.raw.once("close", () => clearTimeout(cut));
  });
}

/** Ends `socket` once what was written to it is out; the peer's end is not waited for. */
function endSocket(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  if (socket.writableFinished) socket.destroy();
  else socket.once("finish", () => socket.destroy());
}

/** A door's force-close: armed by its close(), brought forward (never pushed back) once every call has ended. */
export class ForceClose {
  #at = Infinity;
  #timer: NodeJS.Timeout | undefined;
  readonly #force: () => void;

  constructor(force: () => void) {
    this.#force = force;
  }

  within(ms: number): void {
    if (Date.now() + ms >= this.#at) return;
    this.#at = Date.now() + ms;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#force, ms);
  }

  cancel(): void {
    clearTimeout(this.#timer);
  }
}
