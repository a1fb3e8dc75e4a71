// A deadline option of 0 (defaultTimeoutMs, executionTimeoutMs) sets no client deadline, as most gRPC
// clients read an unset timeout, and so does Infinity; a call's own timeoutMs of 0 is a deadline already
// passed: TimeoutError at once, nothing sent. The Go and Python clients do the same. Before, an option of
// 0 gave every call 1 ms, Infinity reached connect-node's setTimeout (which runs it after 1 ms), and a
// call's timeoutMs of 0 was 1 ms on the unary path and no deadline at all for a stream on grpc-js.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { ScriptService } from "../../../gen/ts/scriptengine/v1/script_service_pb.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createGrpcJsTransport, createScriptEngineClient, InvalidArgumentError, ScriptEngineClient, TimeoutError, type ClientOptions } from "../src/index.ts";
import { startFakeGrpcServer, type FakeGrpcServer } from "./fake-grpc-server.ts";

/** A transport that answers at once, noting the timeoutMs each call was given. */
function recording(): Transport & { timeouts: (number | undefined)[] } {
  const timeouts: (number | undefined)[] = [];
  return {
    timeouts,
    async unary(method, _signal, timeoutMs) {
      timeouts.push(timeoutMs);
      return { stream: false, service: method.parent, method, header: new Headers(), message: create(method.output), trailer: new Headers() };
    },
    async stream(method, _signal, timeoutMs) {
      timeouts.push(timeoutMs);
      return { stream: true, service: method.parent, method, header: new Headers(), message: (async function* () {})(), trailer: new Headers() };
    },
  };
}

const none: [string, ClientOptions][] = [
  ["0", { defaultTimeoutMs: 0, executionTimeoutMs: 0 }],
  ["Infinity", { defaultTimeoutMs: Infinity, executionTimeoutMs: Infinity }],
  ["past a timer's reach", { defaultTimeoutMs: 2 ** 31, executionTimeoutMs: 2 ** 40 }],
];

it.each(none)("a deadline option of %s hands the transport no deadline", async (_, options) => {
  const transport = recording();
  const client = new ScriptEngineClient(transport, options);
  await client.scripts.healthCheck({});
  await client.scripts.executeScript({ scriptId: "s" });
  expect(transport.timeouts).toEqual([undefined, undefined]);
  // A call's own timeoutMs still holds.
  await client.scripts.healthCheck({}, { timeoutMs: 5000 });
  expect(transport.timeouts[2]).toBeGreaterThan(4000);
  expect(transport.timeouts[2]).toBeLessThanOrEqual(5000);
});

it("the defaults are 30 s and 120 s", async () => {
  const transport = recording();
  const client = new ScriptEngineClient(transport);
  await client.scripts.healthCheck({});
  await client.scripts.executeScript({ scriptId: "s" });
  expect(transport.timeouts[0]).toBeGreaterThan(29_000);
  expect(transport.timeouts[1]).toBeGreaterThan(119_000);
});

it.each([0, -1])("a call's own timeoutMs of %d is TimeoutError at once, nothing sent (unary and stream)", async (timeoutMs) => {
  const transport = recording();
  const client = new ScriptEngineClient(transport, { defaultTimeoutMs: 0 });
  await expect(client.scripts.healthCheck({}, { timeoutMs })).rejects.toBeInstanceOf(TimeoutError);
  const stream = client.events.subscribe({}, { timeoutMs })[Symbol.asyncIterator]();
  await expect(stream.next()).rejects.toBeInstanceOf(TimeoutError);
  expect(transport.timeouts).toEqual([]);
});

it.each([NaN, "5000"])("a call's own timeoutMs of %s is InvalidArgumentError at once, nothing sent (unary and stream)", async (timeoutMs) => {
  const transport = recording();
  const client = new ScriptEngineClient(transport);
  const err = await client.scripts.healthCheck({}, { timeoutMs: timeoutMs as number }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidArgumentError);
  expect((err as Error).message).toContain("timeoutMs must be a number of milliseconds");
  await expect(client.events.subscribe({}, { timeoutMs: timeoutMs as number })[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(InvalidArgumentError);
  expect(transport.timeouts).toEqual([]);
});

let server: FakeGrpcServer;
beforeAll(async () => {
  server = await startFakeGrpcServer();
});
afterAll(async () => {
  await server?.close();
});

for (const transport of ["grpc-js", "grpc-http2"] as const) {
  it.each(none)(`${transport}: a deadline option of %s sends no grpc-timeout and the call succeeds`, async (_, options) => {
    const client = createScriptEngineClient({ transport, address: server.address, retry: false, ...options });
    try {
      server.calls.length = 0;
      await client.scripts.healthCheck({});
      await client.scripts.executeScript({ scriptId: "s" });
      expect(server.calls.map((c) => c.timeout)).toEqual([undefined, undefined]);
      await client.scripts.healthCheck({}, { timeoutMs: 60_000 });
      expect(server.calls[2]?.timeout).toMatch(/^\d+[mu]$|^\d+S$/);
    } finally {
      client.close();
    }
  });

  it(`${transport}: a call's own timeoutMs of 0 fails TimeoutError and reaches no server`, async () => {
    const client = createScriptEngineClient({ transport, address: server.address, retry: false });
    try {
      server.calls.length = 0;
      await expect(client.scripts.healthCheck({}, { timeoutMs: 0 })).rejects.toBeInstanceOf(TimeoutError);
      await expect(client.events.subscribe({}, { timeoutMs: 0 })[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(TimeoutError);
      await client.scripts.healthCheck({}); // the server was there to reach
      expect(server.calls.map((c) => c.path)).toEqual(["/scriptengine.v1.ScriptService/HealthCheck"]);
    } finally {
      client.close();
    }
  });
}

// The grpc-js transport on its own (createClient over createGrpcJsTransport) reads a timeoutMs as
// Connect's transports do: 0 or less a deadline already passed (it was none), Infinity none.
it("createGrpcJsTransport: a timeoutMs of 0 is DEADLINE_EXCEEDED, Infinity no deadline", async () => {
  const transport = createGrpcJsTransport(server.address);
  try {
    const scripts = createClient(ScriptService, transport);
    server.calls.length = 0;
    const err = await scripts.healthCheck({}, { timeoutMs: 0 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.DeadlineExceeded);
    await scripts.healthCheck({}, { timeoutMs: Infinity });
    expect(server.calls.map((c) => c.timeout)).toEqual([undefined]);
  } finally {
    transport.close();
  }
});
