// A deadline past what a timer can hold (some clients ask for 30 days to mean "none") is taken as
// no deadline on both doors (the HTTP door's check is in connect-server.ts): not clamped, so a
// call never ends DEADLINE_EXCEEDED for it, and the script's own limits apply. grpc-js arms a
// timer with the raw grpc-timeout (truncated to 32 bits), and Node fires a longer one at once, so
// the header is dropped before grpc-js reads it.
import type * as http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";

/** The largest delay a timer can hold (2^31-1 ms, ~24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

// As grpc-js parses the header (server-interceptors.js), first value, unanchored: whatever it
// would read as a long deadline is seen as one here.
const GRPC_TIMEOUT = /(\d{1,8})\s*([HMSmun])/;
/** Milliseconds per grpc-timeout unit. */
export const GRPC_TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The milliseconds grpc-js would read from a grpc-timeout header; 0 when it reads none. */
export function grpcTimeoutMs(value: string | string[] | undefined): number {
  const first = Array.isArray(value) ? value[0] : value;
  const m = first === undefined ? null : GRPC_TIMEOUT.exec(first);
  return m ? Number(m[1]) * GRPC_TIMEOUT_UNIT_MS[m[2]!]! : 0;
}

function dropLongDeadline(_stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  if (grpcTimeoutMs(headers["grpc-timeout"]) > MAX_TIMER_MS) delete headers["grpc-timeout"];
}

/**
 * Makes `server` take long deadlines as none. grpc-js keeps its HTTP/2 servers to itself: its
 * (private) createHttp2Server is wrapped so each one gets a 'stream' listener ahead of grpc-js's,
 * before it listens. Call before bindAsync. False if grpc-js no longer has that method (then long
 * deadlines fail at once again; test/server/grpc-door-deadlines.test.ts says so).
 */
export function takeLongDeadlinesAsNone(server: grpc.Server): boolean {
  const internals = server as unknown as { createHttp2Server?: (credentials: grpc.ServerCredentials) => http2.Http2Server | http2.Http2SecureServer };
  const create = internals.createHttp2Server;
  if (typeof create !== "function") return false;
  internals.createHttp2Server = (credentials) => {
    const h2 = create.call(server, credentials);
    h2.prependListener("stream", dropLongDeadline);
    return h2;
  };
  return true;
}
