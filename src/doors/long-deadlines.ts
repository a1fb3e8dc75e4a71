// A deadline past what a timer can hold (some clients ask for 30 days to mean "none") is taken as
// no deadline on both doors (the HTTP door's check is in connect-server.ts): not clamped, so a
// call never ends DEADLINE_EXCEEDED for it, and the script's own limits apply. grpc-js arms a
// timer with the raw grpc-timeout (truncated to 32 bits), and Node fires a longer one at once, so
// the header is dropped before grpc-js reads it. A value outside the grammar grpc-js would read
// its own way (grpc-timeout.ts) is handed on as one it refuses (grpc-js-statuses.ts answers it).
import type * as http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";
import { grpcTimeoutMs } from "./grpc-timeout.ts";
import { refusedTimeoutHeader } from "./grpc-js-statuses.ts";
import { onEachHttp2Server } from "./grpc-js-servers.ts";

/** The largest delay a timer can hold (2^31-1 ms, ~24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

function screenTimeout(_stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const header = headers["grpc-timeout"];
  if (header === undefined) return;
  const value = Array.isArray(header) ? header.join(", ") : header;
  const ms = grpcTimeoutMs(value);
  if (ms === undefined) headers["grpc-timeout"] = refusedTimeoutHeader(value);
  else if (ms > MAX_TIMER_MS) delete headers["grpc-timeout"];
}

/**
 * Makes `server` take long deadlines as none and refuse a grpc-timeout outside the grammar: each of
 * its HTTP/2 servers gets a 'stream' listener ahead of grpc-js's (grpc-js-servers.ts). Call before
 * bindAsync. False if grpc-js no longer has the method that takes (then long deadlines fail at once
 * again, and grpc-js reads a grpc-timeout its own way; test/server/grpc-door-deadlines.test.ts says so).
 */
export function takeLongDeadlinesAsNone(server: grpc.Server): boolean {
  return onEachHttp2Server(server, (h2) => h2.prependListener("stream", screenTimeout));
}
