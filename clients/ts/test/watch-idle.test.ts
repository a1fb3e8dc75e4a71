// A watch that matches no registration gets no change, yet each reconnect that opened a stream
// worked: the server's SYNCED says so at once, so connections dropped one after another (a proxy or
// load balancer recycling them), however soon, do not add up to maxReconnects, which counts failed
// reconnects in a row; streams that fail at once still give up.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, UnavailableError } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

const CUTS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await sleep(10)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

/** A TCP proxy to `target` whose cut() drops every connection it carries; `refuse` closes new ones at once. */
class CutProxy {
  readonly #open = new Set<Socket>();
  readonly #server: Server;
  refuse = false;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: string): Promise<CutProxy> {
    const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
    const proxy: CutProxy = new CutProxy(
      createServer((down) => {
        if (proxy.refuse) return void down.destroy();
        const up = createConnection({ host, port });
        for (const s of [down, up]) {
          proxy.#open.add(s);
          s.on("close", () => proxy.#open.delete(s));
          s.on("error", () => {});
        }
        down.pipe(up).on("close", () => down.destroy());
        up.pipe(down).on("close", () => up.destroy());
        down.on("close", () => up.destroy());
        up.on("close", () => down.destroy());
      }),
    );
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${(this.#server.address() as { port: number }).port}`;
  }

  cut(): void {
    for (const s of this.#open) s.destroy();
  }

  close(): void {
    this.#server.close();
    this.cut();
  }
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: [...SERVER_ARGS, "--set", "discovery.enabled=false"] });
});
afterAll(() => server?.stop());

for (const transport of ["grpc-js", "connect"] as const) {
  it(`an idle watch is reset by SYNCED: it outlives connections dropped at once, and gives up on streams that fail (${transport})`, async () => {
    const proxy = await CutProxy.start(transport === "grpc-js" ? server.grpc : server.http);
    const client = createScriptEngineClient({ transport, address: proxy.address });
    let restarts = 0;
    let synced = 0;
    let yielded = 0;
    let ended: unknown = "running";
    const loop = (async () => {
      for await (const _ of client.watch({ serviceType: "Nothing", maxReconnects: 1, onRestart: () => restarts++, onSynced: () => synced++ })) yielded++;
      return "quietly";
    })().then((v) => (ended = v), (e: unknown) => (ended = e));
    try {
      for (let cut = 1; cut <= CUTS; cut++) {
        // Cut as soon as the (new) stream is synced, long before the 1 s rule for older servers.
        await until(`SYNCED of stream ${cut}`, () => synced >= cut || ended !== "running");
        expect(ended, `ended before cut ${cut} (${restarts} streams)`).toBe("running");
        proxy.cut();
      }
      await until(`SYNCED of stream ${CUTS + 1}`, () => synced > CUTS || ended !== "running");
      await sleep(200);
      expect(ended, `ended after ${CUTS} cuts (${restarts} streams), each reconnect having worked`).toBe("running");
      expect([restarts, synced, yielded]).toEqual([CUTS + 1, CUTS + 1, 0]); // SYNCED is not yielded
      // Streams that fail at once (nothing takes the connection) are failed reconnects: it gives up.
      proxy.refuse = true;
      proxy.cut();
      await Promise.race([loop, sleep(15_000)]);
      expect(ended).toBeInstanceOf(UnavailableError);
    } finally {
      client.close();
      proxy.close();
    }
  }, 40_000);
}
