// Option values checked where a client is built: a negative or NaN backoff, deadline or keepalive
// value would otherwise fail nowhere (a backoff clamped to no wait, a NaN deadline dropped on grpc-js,
// a negative keepalive time turning grpc-js's pings off) or only later (a negative deadline failing each
// call after 1 ms, a negative keepalive timeout every connection at its first ping), and an infinite
// backoff or keepalive timeout is a setTimeout Node runs after 1 ms (on grpc-js: every connection
// dropped at its first ping). A NaN retry.maxAttempts retried without end. A token or header a
// transport cannot send failed each call with a raw TypeError, or only on grpc-js.
import { Code, ConnectError } from "@connectrpc/connect";
import type { ClientOptions } from "./client.ts";
import { InvalidArgumentError } from "./errors.ts";
import type { ConnectOptions } from "./index.ts";

type HeadersInit = ConstructorParameters<typeof Headers>[0];

/** An option the client refuses when it is built: the SDK's InvalidArgumentError, nothing sent. */
export function invalidOption(message: string, cause?: unknown): InvalidArgumentError {
  return new InvalidArgumentError(new ConnectError(message, Code.InvalidArgument, undefined, undefined, cause));
}

/**
 * Throws InvalidArgumentError naming the option when a value is not a number, is negative or NaN, or
 * is infinite where that has no meaning (a backoff, a keepalive timeout). 0 and Infinity have theirs:
 * a deadline option of 0 or Infinity sets none, a keepalive timeMs of 0 or Infinity sends no pings.
 * Also a retry.maxAttempts that is no whole number, and a token or header gRPC metadata cannot carry.
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
  // NaN would retry without end (no attempt count is >= NaN); Infinity is a choice: retry until the deadline.
  const maxAttempts = retry?.maxAttempts;
  if (maxAttempts !== undefined && !(maxAttempts === Infinity || (Number.isInteger(maxAttempts) && maxAttempts >= 0))) {
    throw invalidOption(`retry.maxAttempts must be a whole number of attempts >= 0 (or Infinity), not ${typeof maxAttempts === "number" ? maxAttempts : typeof maxAttempts}`);
  }
  if (options.token) checkToken(options.token);
  checkedHeaders(options.headers);
  for (const [name, value, finite] of values) {
    if (value === undefined) continue;
    if (typeof value !== "number") throw invalidOption(`${name} must be a number of milliseconds, not ${typeof value}`);
    if (!(value >= 0) || (finite && value === Infinity)) {
      throw invalidOption(`${name} must be a ${finite ? "finite " : ""}number of milliseconds >= 0, not ${value}`);
    }
  }
}

/** Where `value` holds a character outside `allowed`, described without quoting the value (a credential, maybe). */
function badCharacter(value: string, allowed: RegExp): string | undefined {
  const at = value.search(allowed);
  if (at < 0) return undefined;
  return `a character a header cannot carry at offset ${at} (U+${value.codePointAt(at)!.toString(16).toUpperCase().padStart(4, "0")})`;
}

/**
 * The token goes out as `authorization: Bearer <token>`, and a bearer token is visible ASCII (as the
 * CLI checks --token): a line break or a non-breaking space would otherwise fail every call later, with
 * a TypeError quoting the token, or send another credential.
 */
function checkToken(token: string): void {
  const bad = badCharacter(String(token), /[^\x21-\x7e]/);
  if (bad) throw invalidOption(`token holds ${bad}: a token is visible ASCII`);
}

// gRPC metadata, which every transport must send alike: names of lowercase letters (upper case is
// folded), digits, "-", "_" and "."; values of printable ASCII (a -bin header's value is base64). The
// Headers class alone lets Latin-1 values through to the HTTP transports that grpc-js refuses, and
// throws a TypeError quoting the value for a line break or a character past U+00FF.
const HEADER_NAME = /^[0-9a-z_.-]+$/;
const NOT_HEADER_VALUE = /[^\x20-\x7e]/;

/** `init` as Headers, or InvalidArgumentError naming the header that gRPC metadata cannot carry. */
export function checkedHeaders(init: HeadersInit | undefined): Headers {
  const headers = new Headers();
  if (init === undefined) return headers;
  const entries: Iterable<[string, string]> = Symbol.iterator in Object(init) ? (init as Iterable<[string, string]>) : Object.entries(init);
  for (const [rawName, rawValue] of entries) {
    const name = String(rawName).toLowerCase();
    const value = String(rawValue);
    if (!HEADER_NAME.test(name)) throw invalidOption(`header name ${JSON.stringify(rawName)} is not one gRPC metadata can carry: letters, digits, "-", "_" and "."`);
    const bad = badCharacter(value, NOT_HEADER_VALUE);
    if (bad) throw invalidOption(`header ${JSON.stringify(name)} holds ${bad}: a header value is printable ASCII (a -bin header's, base64)`);
    headers.append(name, value);
  }
  return headers;
}
