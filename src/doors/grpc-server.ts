// The gRPC door: grpc-js on the main port.
import * as grpc from "@grpc/grpc-js";
import type * as http2 from "node:http2";
import { addService } from "./grpc-adapter.ts";
import type { ServedService } from "./services.ts";
import { handshakeTimeoutMs, type TlsMaterial } from "./tls.ts";
import { ListenError } from "./listen-error.ts";
import { GRPC_MAX_SEND_BYTES, MAX_CONCURRENT_STREAMS, type DoorLimits } from "./door-limits.ts";
import type { Logger } from "../log.ts";
import type { RpcTelemetry } from "../telemetry/rpc.ts";
import { grpcJsLogger } from "./grpc-js-log.ts";
import { takeLongDeadlinesAsNone } from "./long-deadlines.ts";
import { grpcJsStatusesWithErrorInfo } from "./grpc-js-statuses.ts";
import { DoorConnections, ForceClose } from "./door-connections.ts";
import { requestWithin } from "./grpc-request-within.ts";
import { cutLog } from "./cut-log.ts";
import { onEachHttp2Server } from "./grpc-js-servers.ts";
import { keepRepeatedCredentials } from "./repeated-credentials.ts";
import { capConnections, logAcceptErrors } from "./max-connections.ts";
import { grpcJsDecompressesAsExpected } from "./grpc-decompression.ts";

type Http2Server = http2.Http2Server | http2.Http2SecureServer;

export interface GrpcDoor {
  address: string;
  /** Stop accepting calls and wait for in-flight ones; force-close after graceMs. */
  close(graceMs: number): Promise<void>;
  /** After close(): force-close within `ms` if that is sooner (every call has ended). */
  cutAfter(ms: number): void;
}

/** With `telemetry`, a call the door refuses before its handler runs is traced too (grpc-js-statuses.ts). */
export async function openGrpcDoor(address: string, services: ServedService[], limits: DoorLimits, tls?: TlsMaterial, log?: Logger, telemetry?: RpcTelemetry): Promise<GrpcDoor> {
  // grpc-js's own diagnostics join the structured log instead of raw stderr lines: sanitized and
  // throttled, as a client without credentials can trigger them (grpc-js-log.ts).
  if (log) grpc.setLogger(grpcJsLogger(log));
  // Connections and calls cut for what their peer does are logged, throttled (cut-log.ts).
  const cuts = cutLog(log, "grpc");
  const server = new grpc.Server({
    "grpc.max_receive_message_length": limits.maxRequestBytes,
    // An open connection costs a socket and its buffers: one with no call in progress for this long
    // gets GOAWAY (gRPC's MAX_CONNECTION_IDLE); a client reconnects when it next calls.
    "grpc.max_connection_idle_ms": limits.idleTimeoutMs,
    "grpc.max_send_message_length": GRPC_MAX_SEND_BYTES,
    "grpc.keepalive_permit_without_calls": 1,
    // Bounds what one connection can hold in flight (and so in memory); clients open more
    // connections or wait, as HTTP/2 intends.
    "grpc.max_concurrent_streams": MAX_CONCURRENT_STREAMS,
    // A request over max_request_bytes is refused by grpc-js as above, and grpc-js ends a call whose
    // deadline passed itself; this gives both the HTTP door's ErrorInfo, REQUEST_TOO_LARGE and TIMEOUT
    // (grpc-js-statuses.ts). First: it needs grpc-js's own call.
    // A one-message request must arrive within idle_timeout, as on the HTTP door (grpc-request-within.ts).
    interceptors: [grpcJsStatusesWithErrorInfo(limits.maxRequestBytes, telemetry, log), requestWithin(limits.idleTimeoutMs, cuts)],
  });
  // A deadline longer than a timer holds is taken as none, as on the HTTP door (long-deadlines.ts).
  if (!takeLongDeadlinesAsNone(server)) log?.warn("grpc-js internals changed: on the gRPC port a deadline over ~24.8 days fails at once");
  // A credential header sent twice reaches authentication with both values, as on the HTTP door (repeated-credentials.ts).
  if (!keepRepeatedCredentials(server)) log?.warn("grpc-js internals changed: on the gRPC port only the first of two authorization headers is read");
  // A message that does not decompress reaches the handler, which authenticates first (grpc-decompression.ts).
  if (!(await grpcJsDecompressesAsExpected())) {
    log?.warn("grpc-js internals changed: on the gRPC port a compressed message that does not inflate, or in an encoding grpc-js lacks, is refused by grpc-js before authentication (INTERNAL or UNIMPLEMENTED, no ErrorInfo)");
  }
  // Its connections are followed, so that one whose peer never begins (no TLS handshake, no HTTP/2
  // frame) is closed like an idle one and ends at once at shutdown.
  const connections = new DoorConnections(limits.idleTimeoutMs, cuts);
  // Its HTTP/2 servers (one per address the door listens on, all on one port) hold at most
  // server.max_connections together (max-connections.ts).
  const listeners: Http2Server[] = [];
  const cap = capConnections(limits.maxConnections, cuts);
  const capped = (h2: Http2Server) => {
    cap(h2);
    listeners.push(h2);
  };
  if (!followConnections(server, connections, handshakeTimeoutMs(limits.idleTimeoutMs), capped)) {
    log?.warn("grpc-js internals changed: on the gRPC port a connection whose peer never begins is closed only by Node (TLS: after 120 s) or, in plaintext, grpc-js's idle timeout, and holds shutdown up to its grace");
  }
  for (const { service, impl } of services) addService(server, service, impl);
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(tls.ca ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], Boolean(tls.ca))
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (err, p) => (err ? reject(new ListenError("server.grpc_address", address, err)) : resolve(p))),
  );
  // grpc-js drops its 'error' listener once bound: a failed accept would end the process.
  for (const h2 of listeners) logAcceptErrors(h2, "grpc", log);
  const host = address.slice(0, address.lastIndexOf(":"));
  let force: ForceClose | undefined;
  return {
    address: `${host}:${port}`,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        force = new ForceClose(() => {
          server.forceShutdown();
          connections.destroyAll();
          resolve();
        });
        force.within(graceMs);
        server.tryShutdown(() => {
          force?.cancel();
          resolve();
        });
        // A connection with no call in progress ends now (after its GOAWAY is out), the others as
        // their last stream ends, rather than when their peers close them.
        connections.close();
      }),
    cutAfter: (ms) => force?.within(ms),
  };
}

/**
 * `connections` follows the sockets of each HTTP/2 server of grpc-js (grpc-js-servers.ts), and one
 * whose peer has sent no HTTP/2 frame within `startWithinMs` (with TLS: nor finished its handshake)
 * is closed. grpc-js's idle timeout does not do it: it only sends GOAWAY and ends the server's side,
 * so a silent peer that keeps its own side open would hold the socket (in plaintext Node makes the
 * session as the connection is accepted). Call before bindAsync. False if grpc-js no longer has the
 * method that takes (test/server/silent-connections.test.ts then fails).
 */
function followConnections(server: grpc.Server, connections: DoorConnections, startWithinMs: number, each: (h2: Http2Server) => void): boolean {
  return onEachHttp2Server(server, (h2) => {
    each(h2);
    connections.accepted(h2, startWithinMs);
    connections.follow(h2);
  });
}
