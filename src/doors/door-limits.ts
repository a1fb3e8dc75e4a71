// What both doors bound per connection and per message (from the server.* configuration).
export interface DoorLimits {
  /** Largest request message accepted (server.max_request_bytes). */
  maxRequestBytes: number;
  /** A connection with no call in progress this long is closed (server.idle_timeout). */
  idleTimeoutMs: number;
}

/**
 * Largest message the gRPC door sends (grpc.max_send_message_length): config checks that an
 * execution's result fits it (config/load.ts).
 */
export const GRPC_MAX_SEND_BYTES = 64 * 1024 * 1024;

/** HTTP/2 streams one connection may have open at once, on both doors: what one connection can hold in flight. */
export const MAX_CONCURRENT_STREAMS = 256;
