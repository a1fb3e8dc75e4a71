// Option values checked where a client is built: a negative or NaN backoff, deadline or keepalive
// value would otherwise fail nowhere (a backoff clamped to no wait, a NaN deadline dropped on grpc-js,
// a negative keepalive time turning grpc-js's pings off) or only later (a negative deadline failing each
// call after 1 ms, a negative keepalive timeout every connection at its first ping), and an infinite
// backoff is a setTimeout Node runs after 1 ms.
import type { ClientOptions } from "./client.ts";
import type { ConnectOptions } from "./index.ts";

/**
 * Throws TypeError (not a number) or RangeError (negative or NaN; an infinite backoff) naming the
 * option; 0 is taken literally.
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
    ["keepalive.timeoutMs", keepalive?.timeoutMs, false],
  ];
  for (const [name, value, finite] of values) {
    if (value === undefined) continue;
    if (typeof value !== "number") throw new TypeError(`${name} must be a number of milliseconds, not ${typeof value}`);
    if (!(value >= 0) || (finite && value === Infinity)) {
      throw new RangeError(`${name} must be a ${finite ? "finite " : ""}number of milliseconds >= 0, not ${value}`);
    }
  }
}
