// metrics --watch waits out a server restart (as events does) instead of ending at the first
// failed poll; a server gone for good ends it with exit 3 after about 10 s.
import { expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { live } from "./helpers.ts";
import { freePort } from "../../clients/ts/test/support.ts";

const lines = (out: string) => out.split("\n").filter(Boolean).length;

it("keeps polling across a restart on the same address, and a later outage gets a window of its own", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const args = ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1", "--grpc-address", address];
  let server: TestServer | undefined = await startServer({ args });
  // A window the restart fits in however slow the machine (a cold start took most of the 10 s on a
  // loaded one); the default 10 s is the next test's.
  const p = live(["-a", address, "--json", "metrics", "--watch", "200ms"], { SE_WATCH_RETRY_MS: "120000" });
  try {
    await p.waitFor((out) => lines(out) >= 2);
    await server.stop();
    await p.waitFor((_out, err) => err.includes("retrying")); // it saw the outage, and waits
    const polls = lines(p.stdout());
    server = await startServer({ args });
    await p.waitFor((out) => lines(out) >= polls + 2, 60_000); // grpc-js backs off reconnecting: seconds apart by now
    expect(p.stderr()).toContain("retrying");
    // Polls that succeed end the outage: the next one has a window of its own, and says so again.
    await server.stop();
    server = undefined;
    await p.waitFor((_out, err) => err.split("retrying").length - 1 >= 2);
  } finally {
    await server?.stop();
    await p.interrupt();
  }
}, 120_000);

it("exits 3 about 10 s after the server went away for good", async () => {
  const server = await startServer({ args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] });
  const p = live(["-a", server.grpc, "--json", "metrics", "--watch", "200ms"]);
  try {
    await p.waitFor((out) => lines(out) >= 2);
    await server.stop();
    // The window starts at its first failed poll, which it reports: measured from when this test
    // sees that report (later, by however long polling its output lags on a busy machine), not
    // from when the server's stop returned; hence the margin below the 10 s.
    await p.waitFor((_out, err) => err.includes("retrying"));
    const failing = Date.now();
    await expect(p.exited).resolves.toBe(3);
    const waited = Date.now() - failing;
    expect(waited).toBeGreaterThanOrEqual(8_000);
    expect(waited).toBeLessThan(20_000);
  } finally {
    await server.stop();
    await p.interrupt();
  }
}, 60_000);
