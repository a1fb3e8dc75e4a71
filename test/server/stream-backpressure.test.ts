// Both doors write server streams with backpressure: a client that stops reading holds the
// stream's producer, and when it then goes away the producer is released (its generator returns),
// rather than waiting forever for a 'drain' that a closed stream never emits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { addService } from "../../src/doors/grpc-adapter.ts";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";

const state = { produced: 0, released: false };

/** An EventService whose Subscribe produces 16 KiB messages for as long as it is read. */
const impl = {
  emit: () => ({}),
  unsubscribe: () => ({}),
  async *subscribe() {
    try {
      for (;;) {
        state.produced++;
        yield { message: { case: "started", value: { subscriptionId: "x".repeat(16 * 1024) } } };
      }
    } finally {
      state.released = true;
    }
  },
} as never;

let grpcServer: grpc.Server;
let h2Server: http2.Http2Server;
const addresses = { grpc: "", http: "" };

beforeAll(async () => {
  grpcServer = new grpc.Server();
  addService(grpcServer, EventService, impl);
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  addresses.grpc = `127.0.0.1:${port}`;
  h2Server = http2.createServer(connectNodeAdapter({ routes: (router) => router.service(EventService, impl) }));
  await new Promise<void>((r) => h2Server.listen(0, "127.0.0.1", () => r()));
  addresses.http = `127.0.0.1:${(h2Server.address() as { port: number }).port}`;
});
afterAll(() => {
  grpcServer.forceShutdown();
  h2Server.close();
});

describe.each(["grpc", "http"] as const)("%s door", (door) => {
  it("a stream whose client stopped reading and then went away releases its producer", async () => {
    state.produced = 0;
    state.released = false;
    // A raw HTTP/2 client that reads nothing: its flow-control window fills and is never reopened.
    const session = http2.connect(`http://${addresses[door]}`);
    const req = session.request({ ":method": "POST", ":path": "/scriptengine.v1.EventService/Subscribe", "content-type": "application/grpc", te: "trailers" });
    req.on("error", () => {});
    req.pause();
    req.end(Buffer.from([0, 0, 0, 0, 0]));
    await new Promise((r) => setTimeout(r, 500));
    const stalledAt = state.produced;
    await new Promise((r) => setTimeout(r, 300));
    // Backpressure holds the producer: it makes no message while the client reads none.
    expect(state.produced).toBe(stalledAt);
    expect(stalledAt).toBeGreaterThan(0);
    expect(stalledAt).toBeLessThan(100);
    expect(state.released).toBe(false);
    session.destroy();
    for (let i = 0; i < 40 && !state.released; i++) await new Promise((r) => setTimeout(r, 50));
    expect(state.released).toBe(true);
  });
});
