// The grpc-http2 transport holds HTTP/2 connections of its own (a pool of sessions): close() closes
// them, and a call in flight or made later fails CancelledError "the client was closed", as on
// grpc-js. Left open, an idle session lasts connect-node's 15 minutes.
import { createConnection, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { CancelledError, createScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP proxy to `target` that counts the client connections open through it. */
async function proxy(target: string): Promise<{ address: string; open: () => number; close: () => void }> {
  const port = Number(target.slice(target.lastIndexOf(":") + 1));
  const sockets = new Set<Socket>();
  const server = createServer((down) => {
    const up = createConnection({ host: "127.0.0.1", port });
    sockets.add(down);
    for (const s of [down, up]) s.on("error", () => {});
    down.on("close", () => (sockets.delete(down), up.destroy()));
    up.on("close", () => down.destroy());
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    open: () => sockets.size,
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS });
});
afterAll(() => server?.stop());

it("close() over grpc-http2 closes its connection; calls in flight and later fail CancelledError", async () => {
  const p = await proxy(server.http);
  const client = createScriptEngineClient({ address: p.address, transport: "grpc-http2" });
  try {
    await client.scripts.getConfig({});
    expect(p.open()).toBe(1);
    // A script that would run 20 s: still in flight when the client closes.
    const running = client.run("for (;;) {}", undefined, { context: { timeout: { seconds: 20n } }, timeoutMs: 30_000 }).then(
      () => "finished",
      (e: unknown) => e,
    );
    await sleep(300);
    client.close();
    const ended = await running;
    expect(ended, String(ended)).toBeInstanceOf(CancelledError);
    expect((ended as CancelledError).rawMessage).toBe("the client was closed");
    await expect(client.scripts.getConfig({})).rejects.toBeInstanceOf(CancelledError);
    // The socket closes at once; the bound only ends a test that cannot pass.
    for (const end = Date.now() + 20_000; p.open() > 0 && Date.now() < end; ) await sleep(50);
    expect(p.open(), "connections still open after close()").toBe(0);
  } finally {
    client.close();
    p.close();
  }
}, 60_000);
