// metrics --watch waits out a server restart (as events does) instead of ending at the first
// failed poll; a server gone for good ends it with exit 3 after about 10 s.
import { expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { live } from "./helpers.ts";
import { freePort } from "../../clients/ts/test/support.ts";

it("keeps polling across a restart on the same address, then exits 3 when the server stays gone", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const args = ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1", "--grpc-address", address];
  let server: TestServer | undefined = await startServer({ args });
  const p = live(["-a", address, "--json", "metrics", "--watch", "200ms"]);
  try {
    await p.waitFor((out) => out.split("\n").filter(Boolean).length >= 2);
    await server.stop();
    await new Promise((r) => setTimeout(r, 1500));
    server = await startServer({ args });
    const polls = p.stdout().split("\n").filter(Boolean).length;
    await p.waitFor((out) => out.split("\n").filter(Boolean).length >= polls + 2, 10_000);
    expect(p.stderr()).toContain("retrying");
    await server.stop();
    server = undefined;
    const started = Date.now();
    await expect(p.exited).resolves.toBe(3);
    expect(Date.now() - started).toBeGreaterThan(8_000);
  } finally {
    await server?.stop();
    await p.interrupt();
  }
}, 40_000);
