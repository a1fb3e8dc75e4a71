// The SDK's watch(): registration changes as an async iterator that watches again after the
// server goes away, the new stream's EXISTING snapshot bringing the caller up to date.
import { expect, it } from "vitest";
import { ChangeKind } from "../../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient } from "../src/index.ts";
import { freePort, onNewServer, SERVER_ARGS } from "./support.ts";

it("watches again after a server restart and reports the new server's registrations", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const args = [...SERVER_ARGS, "--grpc-address", address, "--set", "discovery.enabled=false"];
  let current: TestServer | undefined = await startServer({ args });
  const client = createScriptEngineClient({ address });
  const abort = new AbortController();
  let restarts = 0;
  // How long the restarted server takes to start is not the subject: a loaded machine took longer
  // than the default 10 reconnects (at most about 16 s of backoff).
  const it = client.watch({ serviceType: "Worker", signal: abort.signal, onRestart: () => restarts++, maxReconnects: 1000 })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await it.next();
    return r.done ? "done" : `${ChangeKind[r.value.kind]} ${r.value.registration?.service?.serviceId}`;
  };
  try {
    const first = next(); // opens the watch
    await client.registry.registerService({ service: { serviceId: "w-1", serviceType: "Worker", endpoint: "127.0.0.1:9001" } });
    expect(["EXISTING w-1", "REGISTERED w-1"]).toContain(await first);
    const pending = next(); // waiting on the stream when the server stops
    await current.stop();
    current = await startServer({ args });
    await onNewServer(address, (c) => c.registry.registerService({ service: { serviceId: "w-2", serviceType: "Worker", endpoint: "127.0.0.1:9002" } }));
    // The new server has its own data directory: its snapshot holds only w-2.
    expect(["EXISTING w-2", "REGISTERED w-2"]).toContain(await pending);
    expect(restarts).toBeGreaterThanOrEqual(2);
  } finally {
    abort.abort();
    await it.return?.();
    client.close();
    await current?.stop();
  }
}, 60_000);

it("a watcher stalled through a shutdown, whose stream the server then resets, watches again instead of ending CANCELLED", async () => {
  // The stopping server cannot end a stream whose reader is not reading (flow control); past the
  // grace it closes its connections, which resets the stream: CANCELLED not asked for by the caller.
  const address = `127.0.0.1:${await freePort()}`;
  const args = [...SERVER_ARGS, "--grpc-address", address, "--set", "discovery.enabled=false", "--set", "server.shutdown_grace=1s", "--set", "registry.max_metadata_bytes=70000"];
  let current: TestServer | undefined = await startServer({ args });
  const client = createScriptEngineClient({ address });
  const abort = new AbortController();
  const it = client.watch({ serviceType: "Worker", signal: abort.signal, maxReconnects: 1000 })[Symbol.asyncIterator]();
  try {
    // A snapshot well past any flow-control window: 300 registrations of 64 KB.
    const metadata = Object.fromEntries(Array.from({ length: 64 }, (_, k) => [`k${k}`, "v".repeat(1000)]));
    for (let i = 0; i < 300; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => client.registry.registerService({ service: { serviceId: `old-${i + j}`, serviceType: "Worker", endpoint: "127.0.0.1:9001", metadata } })));
    expect((await it.next()).done).toBe(false); // then the reader stalls
    await new Promise((r) => setTimeout(r, 500));
    await current.stop();
    current = await startServer({ args });
    await onNewServer(address, (c) => c.registry.registerService({ service: { serviceId: "new-1", serviceType: "Worker", endpoint: "127.0.0.1:9002" } }));
    let seen: string | undefined;
    while (seen !== "new-1") {
      const next = await it.next();
      if (next.done) throw new Error("the iteration ended");
      seen = next.value.registration?.service?.serviceId;
    }
  } finally {
    abort.abort();
    await it.return?.();
    client.close();
    await current?.stop();
  }
}, 60_000);
