// Start and Stop against the server's own shutdown: once it has begun (SIGTERM), the status is
// the shutdown's alone, STOPPING until the final STOPPED. A Start that overlaps it is refused
// (UNAVAILABLE ENGINE_STOPPED) and changes nothing; a Stop draining when it begins does not set
// STOPPED under it.
import { afterEach, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BUSY = (ms: number) => `export default () => { const t = Date.now(); while (Date.now() - t < ${ms}); return 1; }`;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** Health events ("STATUS message") and grpc.health watch changes of `service`, in one timeline, until the server ends them. */
async function timeline(s: TestServer, service: string) {
  const seen: string[] = [];
  let live!: () => void;
  const started = new Promise<void>((r) => (live = r));
  const events = (async () => {
    try {
      for await (const m of clientFor(EventService, "grpc-js", s).subscribe({ eventTypes: ["health_status_changed"] })) {
        if (m.message.case === "started") live();
        if (m.message.case === "event" && m.message.value.event.case === "healthStatusChanged") {
          const h = m.message.value.event.value;
          seen.push(`${ServiceStatus[h.status]} ${h.message}`);
        }
      }
    } catch {
      /* ended by the shutdown */
    }
  })();
  const watch = (async () => {
    try {
      for await (const m of clientFor(Health, "grpc-js", s).watch({ service })) seen.push(`watch ${Serving[m.status]}`);
    } catch {
      /* ended by the shutdown */
    }
  })();
  await started;
  const until = async (entry: string) => {
    for (let i = 0; i < 200 && !seen.includes(entry); i++) await sleep(25);
    expect(seen).toContain(entry);
  };
  return { seen, until, ended: () => Promise.all([events, watch]) };
}

it("a Start whose workers are still spawning when SIGTERM comes is refused, and the status stays STOPPING", async () => {
  // The Start is held once its workers have spawned, until the shutdown begins (a test hook): a spawn
  // alone is over before a SIGTERM aimed at it lands on a fast machine.
  server = await startServer({ args: ["--set", "pool.workers=2", "--set", "server.shutdown_grace=3s"], env: { SE_TEST_ENGINE_START_DELAY_MS: "60000" } });
  const s = server;
  const scripts = clientFor(ScriptService, "grpc-js", s);
  const t = await timeline(s, "scriptengine.v1.ScriptService");
  expect((await scripts.stop({ reason: "maintenance" })).health?.status).toBe(ServiceStatus.STOPPED);
  const start = failure(scripts.start({}));
  try {
    await t.until("STARTING starting on request");
    const exited = s.stop();
    const f = await start;
    expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    expect(await exited).toBe(0);
  } finally {
    await s.stop();
    await settle([start]);
  }
  await t.ended();
  // Nothing after the shutdown's STOPPING but its own STOPPED: no HEALTHY, and no SERVING again.
  const events = t.seen.filter((e) => !e.startsWith("watch") && e !== "STOPPED shut down");
  expect(events.slice(events.indexOf("STOPPED maintenance"))).toEqual(["STOPPED maintenance", "STARTING starting on request", "STOPPING shutting down"]);
  expect(t.seen.filter((e) => e.startsWith("watch"))).toEqual(["watch SERVING", "watch NOT_SERVING"]);
});

it("SIGTERM while a Stop drains: the shutdown is announced, the Stop does not set STOPPED under it, a queued Start is refused", async () => {
  server = await startServer({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=5s"] });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  await scripts.runScript({ source: "1" });
  const t = await timeline(server, "scriptengine.v1.EventService");
  // Still running at the SIGTERM below however slow the machine (and done within the 5 s grace).
  const running = scripts.runScript({ source: BUSY(3500) });
  const held: Promise<unknown>[] = [running];
  try {
    await untilMetrics(scripts, "the busy execution runs", (m) => m.busyIsolates === 1n);
    const stop = scripts.stop({ reason: "maintenance" });
    held.push(stop);
    await t.until("STOPPING maintenance");
    // Waits its turn behind the Stop. The HealthCheck sent after it on the same connection is answered
    // only once the server has taken the Start: a fixed 100 ms sleep assumed it had, before the SIGTERM.
    const start = failure(scripts.start({}));
    held.push(start);
    await scripts.healthCheck({});
    const exited = server.stop();
    const stopped = await stop;
    expect([stopped.health?.status, stopped.health?.message]).toEqual([ServiceStatus.STOPPING, "shutting down"]);
    const f = await start;
    expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    expect((await running).result?.success).toBe(true);
    expect(await exited).toBe(0);
  } finally {
    await server.stop();
    await settle(held);
  }
  await t.ended();
  // The Stop's STOPPING, then the shutdown's (its STOPPED may come after the streams end); the
  // grpc.health watch of EventService goes NOT_SERVING at the Stop and stays so.
  const events = t.seen.filter((e) => !e.startsWith("watch") && e !== "STOPPED shut down");
  expect(events.slice(events.indexOf("STOPPING maintenance"))).toEqual(["STOPPING maintenance", "STOPPING shutting down"]);
  expect(t.seen.filter((e) => e.startsWith("watch"))).toEqual(["watch SERVING", "watch NOT_SERVING"]);
});
