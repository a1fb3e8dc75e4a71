// What both doors bound per connection and per message (from the server.* configuration).
export interface DoorLimits {
  /** Largest request message accepted (server.max_request_bytes). */
  maxRequestBytes: number;
  /** A connection with no call in progress this long is closed (server.idle_timeout). */
  idleTimeoutMs: number;
}
