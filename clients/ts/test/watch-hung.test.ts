// A watch stream that brings nothing, however long it lasts (a hung server, a proxy with no backend
// that holds the connection and then drops it), is a failed reconnect: the watch gives up after
// maxReconnects of them in a row. It used to count any stream that lasted a second as working, so
// such a watch retried forever; the server's SYNCED, sent at once, is what shows a stream works.
import { createServer, type Server } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { afterEach, expect, it } from "vitest";
import { createScriptEngineClient, UnavailableError } from "../src/index.ts";

const HOLD_MS = 1500;
const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

/** Accepts TCP and drops each connection after HOLD_MS without answering. */
async function holdingListener(): Promise<{ address: string; accepted: () => number }> {
  let accepted = 0;
  const server: Server = createServer((s) => {
    accepted++;
    s.on("error", () => {});
    setTimeout(() => s.destroy(), HOLD_MS).unref();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => server.close());
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}`, accepted: () => accepted };
}

/** A gRPC server whose WatchServices sends nothing and ends UNAVAILABLE after HOLD_MS. */
async function hungGrpcServer(): Promise<{ address: string; accepted: () => number }> {
  let accepted = 0;
  const server = new grpc.Server();
  const none = () => Buffer.alloc(0);
  server.addService(
    { WatchServices: { path: "/scriptengine.v1.RegistryService/WatchServices", requestStream: false, responseStream: true, requestSerialize: none, requestDeserialize: none, responseSerialize: none, responseDeserialize: none } },
    {
      WatchServices: (call: grpc.ServerWritableStream<unknown, unknown>) => {
        accepted++;
        const t = setTimeout(() => call.emit("error", { code: grpc.status.UNAVAILABLE, details: "no backend" }), HOLD_MS);
        call.on("cancelled", () => clearTimeout(t));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  closers.push(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, accepted: () => accepted };
}

for (const transport of ["grpc-js", "connect", "grpc-web", "grpc-http2"] as const) {
  it(`a watch gives up on streams that bring nothing, however long each lasts (${transport})`, async () => {
    const target = transport === "grpc-js" ? await hungGrpcServer() : await holdingListener();
    const client = createScriptEngineClient({ transport, address: target.address });
    closers.push(() => client.close());
    let restarts = 0;
    const started = Date.now();
    const ended = await (async () => {
      for await (const _ of client.watch({ maxReconnects: 1, onRestart: () => restarts++, signal: AbortSignal.timeout(12_000) }));
      return "still retrying after 12 s";
    })().catch((e: unknown) => e);
    expect(ended, `${restarts} streams in ${Date.now() - started} ms`).toBeInstanceOf(UnavailableError);
    // The first stream and one reconnect (maxReconnects 1), each held HOLD_MS.
    expect(restarts).toBe(2);
    expect(target.accepted()).toBeGreaterThanOrEqual(1);
  }, 20_000);
}
