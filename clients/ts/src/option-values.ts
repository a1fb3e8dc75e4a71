// Option values checked where a client is built: a negative or NaN backoff, deadline or keepalive
// value would otherwise fail nowhere (a backoff clamped to no wait, a NaN deadline dropped on grpc-js,
// a negative keepalive time turning grpc-js's pings off) or only later (a negative deadline failing each
// call after 1 ms, a negative keepalive timeout every connection at its first ping), and an infinite
// backoff or keepalive timeout is a setTimeout Node runs after 1 ms (on grpc-js: every connection
// dropped at its first ping).
import { Code, ConnectError } from "@connectrpc/connect";
import type { ClientOptions } from "./client.ts";
import { InvalidArgumentError } from "./errors.ts";
import type { ConnectOptions } from "./index.ts";

/** An option the client refuses when it is built: the SDK's InvalidArgumentError, nothing sent. */
export function invalidOption(message: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(new ConnectError(message, Code.InvalidArgument, undefined, undefined, cause));
}

/**
 * Throws InvalidArgumentError naming the option when a value is not a number, is negative or NaN, or
 * is infinite where that has no meaning (a backoff, a keepalive timeout). 0 and Infinity have theirs:
 * a deadline option of 0 or Infinity sets none, a keepalive timeMs of 0 or Infinity sends no pings.
 */
export function checkOptionValues(options: ClientOptions & Pick<ConnectOptions, "keepalive">): void {
  const retry = options.retry || undefined;
  const keepalive = options.keepalive || undefined;
  const values: [string, unknown, boolean][] = [
    ["defaultTimeoutMs", options.defaultTimeoutMs, false],
    ["executionTimeoutMs", options.executionTimeoutMs, false],
    ["retry.initialBackoffMs", retry?.initialBackoffMs, true],
    ["retry.maxBackoffMs", retry?.maxBackoffMs, true],
    ["keepalive.timeMs", keepalive?.timeMs, false],
    ["keepalive.timeoutMs", keepalive?.timeoutMs, true],
  ];
  for (const [name, value, finite] of values) {
    if (value === undefined) continue;
    if (typeof value !== "number") throw invalidOption(`${name} must be a number of milliseconds, not ${typeof value}`);
    if (!(value >= 0) || (finite && value === Infinity)) {
      throw invalidOption(`${name} must be a ${finite ? "finite " : ""}number of milliseconds >= 0, not ${value}`);
    }
  }
}
