// A negative or NaN backoff, deadline or keepalive option, or an infinite backoff or keepalive timeout,
// is refused where the client is built, naming the option: before, a negative or NaN backoff became no
// wait at all and a NaN deadline on grpc-js no deadline, with no error anywhere, a negative deadline
// failed each call after 1 ms, a keepalive value went straight to grpc-js or connect-node (a negative
// timeMs turned grpc-js's pings off, a negative timeoutMs timed every ping out at once, an infinite one
// was a 1 ms timer on grpc-js) and an infinite backoff was a setTimeout Node runs after 1 ms. A backoff
// of 0 is taken literally (no wait), unlike Go's 0 = default. The error is the SDK's
// InvalidArgumentError, as for the TLS options (it was a RangeError or TypeError): one type to catch.
// It cannot also be a RangeError: InvalidArgumentError is a ConnectError, and a class has one chain.
import { createConnectTransport } from "@connectrpc/connect-node";
import { expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { createScriptEngineClient, InvalidArgumentError, ScriptEngineError, ScriptEngineClient, type ClientOptions, type ConnectOptions } from "../src/index.ts";
import { thrown } from "./support.ts";

const bad: [string, ClientOptions][] = [
  ["defaultTimeoutMs", { defaultTimeoutMs: -1 }],
  ["executionTimeoutMs", { executionTimeoutMs: Number.NaN }],
  ["retry.initialBackoffMs", { retry: { initialBackoffMs: -100 } }],
  ["retry.maxBackoffMs", { retry: { maxBackoffMs: Number.NaN } }],
  ["retry.initialBackoffMs", { retry: { initialBackoffMs: Infinity } }],
  ["retry.maxBackoffMs", { retry: { maxBackoffMs: Infinity } }],
  // NaN retried without end (no attempt count is >= NaN); a count of attempts is a whole number.
  ["retry.maxAttempts", { retry: { maxAttempts: Number.NaN } }],
  ["retry.maxAttempts", { retry: { maxAttempts: -1 } }],
  ["retry.maxAttempts", { retry: { maxAttempts: 1.5 } }],
  ["retry.maxAttempts", { retry: { maxAttempts: "3" as unknown as number } }],
];

const badKeepalive: [string, ConnectOptions][] = [
  ["keepalive.timeMs", { keepalive: { timeMs: -1 } }],
  ["keepalive.timeoutMs", { keepalive: { timeoutMs: -1 } }],
  ["keepalive.timeMs", { keepalive: { timeMs: Number.NaN } }],
  ["keepalive.timeoutMs", { keepalive: { timeoutMs: Number.NaN } }],
  ["keepalive.timeoutMs", { keepalive: { timeoutMs: Infinity } }],
];

function expectOptionError(err: unknown, name: string): void {
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect(err).toBeInstanceOf(ScriptEngineError);
  expect((err as InvalidArgumentError).code).toBe(Code.InvalidArgument);
  expect((err as Error).message).toContain(`${name} must be`);
}

it.each([...bad, ...badKeepalive])("createScriptEngineClient refuses a bad %s (%j) with an InvalidArgumentError naming it", (name, options) => {
  for (const transport of ["grpc-js", "grpc-http2", "connect"] as const) {
    expectOptionError(thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, ...options })), name);
  }
});

it.each(bad)("new ScriptEngineClient refuses a bad %s (%j) with an InvalidArgumentError naming it", (name, options) => {
  const transport = createConnectTransport({ baseUrl: "http://127.0.0.1:1", httpVersion: "1.1" });
  expectOptionError(thrown(() => new ScriptEngineClient(transport, options)), name);
});

it("refuses a backoff that is not a number with an InvalidArgumentError", () => {
  const options = { retry: { initialBackoffMs: "100" } } as unknown as ClientOptions;
  expectOptionError(thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", ...options })), "retry.initialBackoffMs");
});

it("a value option and a TLS option are refused with the same error type", () => {
  const tls = thrown(() => createScriptEngineClient({ address: "http://127.0.0.1:1", transport: "connect", tls: true }));
  const value = thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", defaultTimeoutMs: -1 }));
  expect(tls).toBeInstanceOf(InvalidArgumentError);
  expect(Object.getPrototypeOf(value)).toBe(Object.getPrototypeOf(tls));
});

it("takes 0 and the defaults", () => {
  createScriptEngineClient({ address: "127.0.0.1:1", defaultTimeoutMs: 0, executionTimeoutMs: 0, retry: { initialBackoffMs: 0, maxBackoffMs: 0, maxAttempts: 1 } }).close();
  createScriptEngineClient({ address: "127.0.0.1:1", retry: { maxAttempts: 0 } }).close();
  createScriptEngineClient({ address: "127.0.0.1:1", retry: { maxAttempts: Infinity } }).close(); // until the call's deadline
  createScriptEngineClient({ address: "127.0.0.1:1", retry: false, keepalive: false }).close();
  createScriptEngineClient({ address: "127.0.0.1:1", transport: "grpc-http2", keepalive: { timeMs: 0, timeoutMs: 0 } }).close();
  createScriptEngineClient({ address: "127.0.0.1:1", defaultTimeoutMs: Infinity, keepalive: { timeMs: Infinity } }).close();
  createScriptEngineClient({ address: "127.0.0.1:1" }).close();
});

// execute() took a `compilation` option (its type allowed it) and dropped it without a word.
it("execute() refuses a compilation option (a stored script's language and kind were fixed at compile time)", async () => {
  const client = createScriptEngineClient({ address: "127.0.0.1:1" });
  try {
    const err = await client.execute("s", {}, { compilation: { language: 2 } } as never).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain("`compilation` is an option of run() and runScript()");
    // Left out (or undefined, as a spread of options may leave it), it is no option at all.
    const call = await client.execute("s", {}, { compilation: undefined, timeoutMs: 200 } as never).then(() => undefined, (e: unknown) => e);
    expect(call).not.toBeInstanceOf(InvalidArgumentError);
  } finally {
    client.close();
  }
});
