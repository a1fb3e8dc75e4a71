// Option values checked where a client is built: a negative or NaN backoff or deadline would
// otherwise fail nowhere (a backoff clamped to no wait, a NaN deadline dropped on grpc-js) or only at
// each call (a negative deadline, 1 ms).
import type { ClientOptions } from "./client.ts";

/** Throws TypeError (not a number) or RangeError (negative or NaN) naming the option; 0 is taken literally. */
export function checkOptionValues(options: ClientOptions): void {
  const retry = options.retry || undefined;
  const values: [string, unknown][] = [
    ["defaultTimeoutMs", options.defaultTimeoutMs],
    ["executionTimeoutMs", options.executionTimeoutMs],
    ["retry.initialBackoffMs", retry?.initialBackoffMs],
    ["retry.maxBackoffMs", retry?.maxBackoffMs],
  ];
  for (const [name, value] of values) {
    if (value === undefined) continue;
    if (typeof value !== "number") throw new TypeError(`${name} must be a number of milliseconds, not ${typeof value}`);
    if (!(value >= 0)) throw new RangeError(`${name} must be a number of milliseconds >= 0, not ${value}`);
  }
}
