// Stop and Start through the real server: Stop refuses what is queued at once, reports STOPPING
// while executions still run (up to server.shutdown_grace, then stops them) and STOPPED only once
// nothing runs; Start brings a stopped engine back and leaves a running one as it is.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { childPids } from "../helpers/procs.ts";

const SLEEP = (ms: number) => `export default async () => { await new Promise((r) => setTimeout(r, ${ms})); return "slept"; }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
beforeAll(async () => {
  // Sleeping scripts hold the one worker when none may park (pool.max_parked = 0).
  server = await startServer({
    toml: `[pool]\nworkers = 1\nmax_queue = 5\nmax_parked = 0\nsend_ahead = false\n[server]\nshutdown_grace = "2s"\n[health_check]\ninterval = "100ms"\nunhealthy_failure_count = 1\n`,
  });
});
afterAll(async () => {
  await server.stop();
});
const scripts = () => clientFor(ScriptService, "grpc-js", server);
const statusNow = async () => (await scripts().healthCheck({})).health?.status;

describe("Stop", () => {
  it("refuses queued executions at once, stays STOPPING while one runs, and is STOPPED once it finished", async () => {
    const running = scripts().runScript({ source: SLEEP(1500) }).then((r) => ({ value: r.result?.returnValue?.kind.value, at: Date.now() }));
    await sleep(300);
    const queued = [0, 1, 2].map(() => failure(scripts().runScript({ source: SLEEP(10) })));
    await sleep(200);
    const stopAsked = Date.now();
    const stop = scripts().stop({ reason: "maintenance" }).then((r) => ({ status: r.health?.status, at: Date.now() }));

    for (const f of await Promise.all(queued)) {
      expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
      expect(f.err.findDetails(RetryInfoSchema)).toHaveLength(1);
    }
    expect(Date.now() - stopAsked).toBeLessThan(800); // not after the running one
    expect(await statusNow()).toBe(ServiceStatus.STOPPING);
    const late = await failure(scripts().runScript({ source: "1" }));
    expect([late.code, late.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);

    const ran = await running;
    expect(ran.value).toBe("slept");
    const stopped = await stop;
    expect(stopped.status).toBe(ServiceStatus.STOPPED);
    expect(stopped.at).toBeGreaterThanOrEqual(ran.at - 50);

    // Nothing runs while STOPPED: no worker processes, and the pool component says so.
    expect(childPids(server.proc.pid!)).toEqual([]);
    const health = (await scripts().healthCheck({})).health!;
    const pool = health.components.find((c) => c.name === "pool");
    expect(pool?.status).toBe(ServiceStatus.STOPPED);
    expect(pool?.message).toMatch(/stopped/);
    const m = (await scripts().getMetrics({})).metrics!;
    expect([m.queueLength, m.busyIsolates]).toEqual([0n, 0n]);

    const started = await scripts().start({});
    expect(started.health?.status).toBe(ServiceStatus.HEALTHY);
    expect((await scripts().runScript({ source: "6 * 7" })).result?.returnValue?.kind.value).toBe(42);
  });

  it("past server.shutdown_grace stops what still runs (retryable UNAVAILABLE), then reports STOPPED", async () => {
    const running = failure(scripts().runScript({ source: SLEEP(8000) }));
    await sleep(300);
    const t0 = Date.now();
    const stopped = await scripts().stop({ reason: "now" });
    expect(stopped.health?.status).toBe(ServiceStatus.STOPPED);
    expect(Date.now() - t0).toBeLessThan(5000);
    const f = await running;
    expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    expect((await scripts().start({})).health?.status).toBe(ServiceStatus.HEALTHY);
  });

  it("a Start sent while Stop drains waits for it, then starts the engine again", async () => {
    const running = scripts().runScript({ source: SLEEP(800) });
    await sleep(200);
    const stop = scripts().stop({ reason: "brief" });
    await sleep(100);
    expect(await statusNow()).toBe(ServiceStatus.STOPPING);
    const start = scripts().start({});
    expect((await stop).health?.status).toBe(ServiceStatus.STOPPED);
    expect((await start).health?.status).toBe(ServiceStatus.HEALTHY);
    expect((await running).result?.returnValue?.kind.value).toBe("slept");
    expect((await scripts().runScript({ source: "'again'" })).result?.returnValue?.kind.value).toBe("again");
  });

  it("says why in its HealthStatusChanged events, and the log names who asked", async () => {
    const events: { status: ServiceStatus; message: string }[] = [];
    const ac = new AbortController();
    let live!: () => void;
    const started = new Promise<void>((r) => (live = r));
    const reading = (async () => {
      try {
        for await (const m of clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["health_status_changed"] }, { signal: ac.signal })) {
          if (m.message.case === "started") live();
          if (m.message.case === "event" && m.message.value.event.case === "healthStatusChanged") {
            const { status, message } = m.message.value.event.value;
            events.push({ status, message });
          }
        }
      } catch {
        /* aborted */
      }
    })();
    await started;
    await scripts().stop({ reason: "disk swap" });
    await scripts().start({});
    for (let i = 0; i < 20 && events.length < 4; i++) await sleep(50);
    ac.abort();
    await reading;
    expect(events).toEqual([
      { status: ServiceStatus.STOPPING, message: "disk swap" },
      { status: ServiceStatus.STOPPED, message: "disk swap" },
      { status: ServiceStatus.STARTING, message: "starting on request" },
      { status: ServiceStatus.HEALTHY, message: "started on request" },
    ]);
    expect(server.logs()).toMatch(/"msg":"engine stopped on request"[^\n]*"principal":"local"[^\n]*"reason":"disk swap"/);
    expect(server.logs()).toMatch(/"msg":"engine started on request"[^\n]*"principal":"local"/);
  });
});

describe("Start", () => {
  it("on a running UNHEALTHY engine changes nothing: no STARTING, no false SERVING", async () => {
    for (const pid of childPids(server.proc.pid!)) process.kill(pid, "SIGKILL");
    for (let i = 0; i < 30 && (await statusNow()) !== ServiceStatus.UNHEALTHY; i++) await sleep(100);
    expect(await statusNow()).toBe(ServiceStatus.UNHEALTHY);

    const seen: ServiceStatus[] = [];
    const ac = new AbortController();
    const events = (async () => {
      try {
        for await (const m of clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["health_status_changed"] }, { signal: ac.signal })) {
          if (m.message.case === "event" && m.message.value.event.case === "healthStatusChanged") seen.push(m.message.value.event.value.status);
        }
      } catch {
        /* aborted */
      }
    })();
    await sleep(200);
    const started = await scripts().start({});
    expect(started.health?.status).toBe(ServiceStatus.UNHEALTHY);
    const probe = await clientFor(Health, "grpc-js", server).check({ service: "" });
    expect(probe.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
    await sleep(300);
    ac.abort();
    await events;
    expect(seen).toEqual([]);
  });
});
