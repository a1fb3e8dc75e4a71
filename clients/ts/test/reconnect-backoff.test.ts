// After an outage grpc-js waits between connection attempts (1 s growing to 120 s by default) and
// fails every call at once meanwhile, so the SDK's retries could not reach a server that was back
// for seconds. The client bounds that wait to 100 ms growing to 2 s ± 20%. The test reads the waits
// grpc-js asks for (its BackoffTimeout, through a hook on the timer it starts), not how long things
// took, so a slow machine does not decide the outcome.
import { experimental } from "@grpc/grpc-js";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP gate to `target`: closes every connection it accepts (counting them) until `open`. */
async function gate(target: string): Promise<{ address: string; refused: () => number; open: () => void; close: () => void }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  let refused = 0;
  let open = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    if (!open) return void (refused++, down.destroy());
    const up = createConnection({ host, port });
    for (const s of [down, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s)).on("error", () => {});
    }
    down.pipe(up).on("close", () => up.destroy());
    up.pipe(down).on("close", () => down.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    refused: () => refused,
    open: () => (open = true),
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/**
 * Records every wait a grpc-js BackoffTimeout starts (a subchannel starts one with each connection
 * attempt: the wait before the next), by timer, until the returned function is called.
 */
function recordBackoffs(): { waits: Map<object, number[]>; stop: () => void } {
  const proto = experimental.BackoffTimeout.prototype as unknown as { runTimer(this: object, delay: number): void };
  const original = proto.runTimer;
  const waits = new Map<object, number[]>();
  proto.runTimer = function (this: object, delay: number) {
    waits.set(this, [...(waits.get(this) ?? []), delay]);
    return original.call(this, delay);
  };
  return { waits, stop: () => void (proto.runTimer = original) };
}

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS });
});
afterAll(() => server?.stop());

it("grpc-js: after an outage, the wait between connection attempts is at most 2 s ± 20%, and a call reaches the server that came back", async () => {
  const g = await gate(server.grpc);
  const recorded = recordBackoffs();
  // Its own subchannel: another client's backoff to this address must not decide the outcome.
  const client = createScriptEngineClient({ address: g.address, channelOptions: { "grpc.use_local_subchannel_pool": 1 } });
  try {
    // Ten refused connection attempts. grpc-js by default asks 1 s, 1.6 s, 2.56 s, 4.1 s (± 20%
    // each, compounding)... and has asked for more than 2.4 s by the fourth; the client's waits grow
    // from 100 ms and stop at 2 s ± 20%. A wait past that ends the loop at once (the test cannot
    // pass); the time bound only ends one that gets no attempts.
    const all = () => [...recorded.waits.values()];
    const longest = () => Math.max(0, ...all().flat());
    for (const end = Date.now() + 120_000; g.refused() < 10 && longest() <= 2400 && Date.now() < end; ) {
      await client.scripts.getConfig({}, { timeoutMs: 1000 }).catch(() => {});
      await sleep(100);
    }
    expect(longest(), `the waits asked for: ${JSON.stringify(all())}`).toBeLessThanOrEqual(2400);
    expect(g.refused()).toBeGreaterThanOrEqual(10);
    // A subchannel's connection backoff: it started at 100 ms and grew with each refused attempt.
    const growing = all().filter((w) => w.length >= 10 && w[0] === 100 && Math.max(...w) > 1000);
    expect(growing.length, `the waits asked for: ${JSON.stringify(all())}`).toBeGreaterThan(0);
    g.open();
    // The next attempt is at most 2.4 s away; the calls' 5 s deadlines and the loop's bound give a
    // slow machine room (how long it took is not what this test checks: the waits above are).
    let reached = false;
    for (const end = Date.now() + 60_000; !reached && Date.now() < end; ) {
      reached = await client.scripts.getConfig({}, { timeoutMs: 5000 }).then(
        () => true,
        () => sleep(200).then(() => false),
      );
    }
    expect(reached, "a call after the server was back").toBe(true);
  } finally {
    recorded.stop();
    client.close();
    g.close();
  }
}, 200_000);
