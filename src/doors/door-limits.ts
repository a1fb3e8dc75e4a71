// What both doors bound per connection and per message (from the server.* configuration).
export interface DoorLimits {
  /** Largest request message accepted (server.max_request_bytes). */
  maxRequestBytes: number;
  /** A connection with no call in progress this long is closed (server.idle_timeout). */
  idleTimeoutMs: number;
}

/** HTTP/2 streams one connection may have open at once, on both doors: what one connection can hold in flight. */
export const MAX_CONCURRENT_STREAMS = 256;
