// keepalive.timeMs of 0 or Infinity sends no pings, as `keepalive: false` and Go's zero Time do. Before,
// both went to the transports as they were: at 0 connect-node (grpc-http2) pinged before every call on
// a connection and in a loop while a call was open, and at Infinity grpc-js clamped the time to its
// longest timer. A small timeMs, which pings while the fake server holds a call, shows pings are seen.
// A timeoutMs of 0 is the default (10 s), as Go's zero Timeout is grpc-go's: taken literally, every
// connection was dropped at its first ping (a 0 ms timer raced the answer), failing its calls.
import { afterEach, beforeEach, expect, it } from "vitest";
import { createScriptEngineClient, type KeepaliveOptions } from "../src/index.ts";
import { startFakeGrpcServer, type FakeGrpcServer } from "./fake-grpc-server.ts";

let server: FakeGrpcServer;
beforeEach(async () => {
  // Each call is answered at its first ping, or after 300 ms without one.
  server = await startFakeGrpcServer(300);
});
afterEach(async () => {
  await server?.close();
});

const cases: [string, boolean, KeepaliveOptions][] = [
  ["timeMs 0", false, { timeMs: 0 }],
  ["timeMs Infinity", false, { timeMs: Infinity }],
  ["timeMs 1", true, { timeMs: 1, timeoutMs: 10_000 }],
];

for (const transport of ["grpc-js", "grpc-http2"] as const) {
  it.each(cases)(`${transport}: keepalive %s: pings %s`, async (_, pings, keepalive) => {
    const client = createScriptEngineClient({ transport, address: server.address, keepalive, retry: false });
    try {
      for (let i = 0; i < 2; i++) await client.scripts.healthCheck({});
      expect(server.calls).toHaveLength(2);
      expect(server.pings > 0).toBe(pings);
    } finally {
      client.close();
    }
  });
}

for (const transport of ["grpc-js", "grpc-http2"] as const) {
  it(`${transport}: keepalive timeoutMs 0 is the default: the first ping does not drop the connection`, async () => {
    const client = createScriptEngineClient({ transport, address: server.address, keepalive: { timeMs: 1, timeoutMs: 0 }, retry: false });
    try {
      // Each call is answered at a ping: the connection must outlive it.
      for (let i = 0; i < 3; i++) await client.scripts.healthCheck({});
      expect(server.pings).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
}
