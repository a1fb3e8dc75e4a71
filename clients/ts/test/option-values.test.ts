// A negative or NaN backoff, deadline or keepalive option, or an infinite backoff, is refused where
// the client is built, naming the option: before, a negative or NaN backoff became no wait at all and a
// NaN deadline on grpc-js no deadline, with no error anywhere, a negative deadline failed each call
// after 1 ms, a keepalive value went straight to grpc-js or connect-node (a negative timeMs turned
// grpc-js's pings off, a negative timeoutMs timed every ping out at once) and an infinite backoff was a
// setTimeout Node runs after 1 ms. A backoff of 0 is taken literally (no wait), unlike Go's 0 = default.
import { createConnectTransport } from "@connectrpc/connect-node";
import { expect, it } from "vitest";
import { createScriptEngineClient, ScriptEngineClient, type ClientOptions, type ConnectOptions } from "../src/index.ts";

const bad: [string, ClientOptions][] = [
  ["defaultTimeoutMs", { defaultTimeoutMs: -1 }],
  ["executionTimeoutMs", { executionTimeoutMs: Number.NaN }],
  ["retry.initialBackoffMs", { retry: { initialBackoffMs: -100 } }],
  ["retry.maxBackoffMs", { retry: { maxBackoffMs: Number.NaN } }],
  ["retry.initialBackoffMs", { retry: { initialBackoffMs: Infinity } }],
  ["retry.maxBackoffMs", { retry: { maxBackoffMs: Infinity } }],
];

const badKeepalive: [string, ConnectOptions][] = [
  ["keepalive.timeMs", { keepalive: { timeMs: -1 } }],
  ["keepalive.timeoutMs", { keepalive: { timeoutMs: -1 } }],
  ["keepalive.timeMs", { keepalive: { timeMs: Number.NaN } }],
  ["keepalive.timeoutMs", { keepalive: { timeoutMs: Number.NaN } }],
];

it.each([...bad, ...badKeepalive])("createScriptEngineClient refuses a bad %s (%j) with a RangeError naming it", (name, options) => {
  for (const transport of ["grpc-js", "grpc-http2", "connect"] as const) {
    expect(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, ...options })).toThrow(RangeError);
    expect(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, ...options })).toThrow(`${name} must be`);
  }
});

it.each(bad)("new ScriptEngineClient refuses a bad %s (%j) with a RangeError naming it", (name, options) => {
  const transport = createConnectTransport({ baseUrl: "http://127.0.0.1:1", httpVersion: "1.1" });
  expect(() => new ScriptEngineClient(transport, options)).toThrow(RangeError);
  expect(() => new ScriptEngineClient(transport, options)).toThrow(`${name} must be`);
});

it("refuses a backoff that is not a number with a TypeError", () => {
  const options = { retry: { initialBackoffMs: "100" } } as unknown as ClientOptions;
  expect(() => createScriptEngineClient({ address: "127.0.0.1:1", ...options })).toThrow(TypeError);
});

it("takes 0 and the defaults", () => {
  createScriptEngineClient({ address: "127.0.0.1:1", defaultTimeoutMs: 0, executionTimeoutMs: 0, retry: { initialBackoffMs: 0, maxBackoffMs: 0 } }).close();
  createScriptEngineClient({ address: "127.0.0.1:1", retry: false, keepalive: false }).close();
  createScriptEngineClient({ address: "127.0.0.1:1", transport: "grpc-http2", keepalive: { timeMs: 0, timeoutMs: 0 } }).close();
  createScriptEngineClient({ address: "127.0.0.1:1" }).close();
});
