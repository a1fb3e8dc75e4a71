// What both doors bound per connection and per message (from the server.* configuration).
export interface DoorLimits {
  /** Largest request message accepted (server.max_request_bytes). */
  maxRequestBytes: number;
  /**
   * server.idle_timeout: a connection with no call in progress this long is closed; it also bounds
   * a connection's start (TLS handshake, preface, first request), a request's headers (60 s at
   * most) and one-message body, and a peer that takes nothing written to it.
   */
  idleTimeoutMs: number;
  /** server.max_connections: open connections one port holds; one more is closed as it is accepted (0: no cap). */
  maxConnections: number;
}

/**
 * Largest message the gRPC door sends (grpc.max_send_message_length): config checks that an
 * execution's result fits it (config/load.ts).
 */
export const GRPC_MAX_SEND_BYTES = 64 * 1024 * 1024;

/** HTTP/2 streams one connection may have open at once, on both doors: what one connection can hold in flight. */
export const MAX_CONCURRENT_STREAMS = 256;

/**
 * Requests whose body is still to come (HTTP/2 streams whose request has not ended, HTTP/1.1
 * requests with a body not all in) one door holds at once, over all its connections: each holds
 * tens of KB for as long as its peer keeps it so (idle_timeout for a one-message body), and
 * connections are many. Past it a new one cuts the oldest (HTTP/2: CANCEL; HTTP/1.1: its connection).
 */
export const MAX_PENDING_STREAMS = 2048;
