// A negative or NaN backoff or deadline option is refused where the client is built, naming the
// option: before, a negative or NaN backoff became no wait at all and a NaN deadline on grpc-js no
// deadline, with no error anywhere, and a negative deadline failed each call after 1 ms. A backoff of
// 0 is taken literally (no wait), unlike Go's 0 = default.
import { createConnectTransport } from "@connectrpc/connect-node";
import { expect, it } from "vitest";
import { createScriptEngineClient, ScriptEngineClient, type ClientOptions } from "../src/index.ts";

const bad: [string, ClientOptions][] = [
  ["defaultTimeoutMs", { defaultTimeoutMs: -1 }],
  ["executionTimeoutMs", { executionTimeoutMs: Number.NaN }],
  ["retry.initialBackoffMs", { retry: { initialBackoffMs: -100 } }],
  ["retry.maxBackoffMs", { retry: { maxBackoffMs: Number.NaN } }],
];

it.each(bad)("createScriptEngineClient refuses a negative or NaN %s with a RangeError naming it", (name, options) => {
  for (const transport of ["grpc-js", "grpc-http2", "connect"] as const) {
    expect(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, ...options })).toThrow(RangeError);
    expect(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, ...options })).toThrow(`${name} must be`);
  }
});

it.each(bad)("new ScriptEngineClient refuses a negative or NaN %s with a RangeError naming it", (name, options) => {
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
  createScriptEngineClient({ address: "127.0.0.1:1", retry: false }).close();
  createScriptEngineClient({ address: "127.0.0.1:1" }).close();
});
