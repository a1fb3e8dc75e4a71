// `events` waits out an outage as long as `metrics --watch` does (SE_WATCH_RETRY_MS, 10 s): it gave
// up after the SDK's 10 reconnects, about 3 s, which a slow restart outlasts.
import { expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli, live } from "./helpers.ts";
import { freePort } from "../../clients/ts/test/support.ts";

it("keeps reconnecting past the SDK's count while the window lasts, and subscribes once a server is there", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const p = live(["-a", address, "events"], { SE_WATCH_RETRY_MS: "120000" });
  let server: TestServer | undefined;
  try {
    // Longer than the ~3 s the SDK's 10 reconnects at 100-500 ms take: before, events had exited 3.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(p.stderr()).toBe("");
    server = await startServer({ args: ["--set", "pool.workers=1", "--grpc-address", address] });
    await p.waitFor((_out, err) => err.includes("subscribed"), 30_000);
  } finally {
    await p.interrupt();
    await server?.stop();
  }
}, 90_000);

it("ends with exit 3 once the window has passed with no server", async () => {
  const r = await cli(["-a", "127.0.0.1:1", "events"], { env: { SE_WATCH_RETRY_MS: "300" } });
  expect(r.code).toBe(3);
  expect(r.stderr).toMatch(/^scriptengine: UNAVAILABLE: cannot reach 127\.0\.0\.1:1: /);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
});
