// Stop and Start through the real server: Stop refuses what is queued at once, reports STOPPING
// while executions still run (up to server.shutdown_grace, then stops them) and STOPPED only once
// nothing runs; Start brings a stopped engine back and leaves a running one as it is.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { childPids } from "../helpers/procs.ts";
import { settle, until, untilMetrics } from "../helpers/until.ts";

const SLEEP = (ms: number) => `export default async () => { await new Promise((r) => setTimeout(r, ${ms})); return "slept"; }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Sleeping scripts hold the one worker when none may park (pool.max_parked = 0).
const server = serverForTests({
  toml: `[pool]\nworkers = 1\nmax_queue = 5\nmax_parked = 0\nsend_ahead = false\n[server]\nshutdown_grace = "4s"\n[health_check]\ninterval = "100ms"\nunhealthy_failure_count = 1\n`,
}, { checkExit: false });
const scripts = () => clientFor(ScriptService, "grpc-js", server);
const statusNow = async () => (await scripts().healthCheck({})).health?.status;
/** Polls HealthCheck until the status is `want` (a fixed sleep assumed it, and was late on a slow machine). */
const untilStatus = async (want: ServiceStatus) => {
  let last: ServiceStatus | undefined;
  await until(`the status is ${ServiceStatus[want]}`, async () => (last = await statusNow()) === want, { seen: () => last !== undefined && ServiceStatus[last] });
};

describe("Stop", () => {
  it("refuses queued executions at once, stays STOPPING while one runs, and is STOPPED once it finished", async () => {
    // Well inside the 4 s grace, so it ends by itself in the drain (with 2 s, a loaded machine delivered it
    // after the grace: stopped), and long enough to still run at the Stop.
    const running = scripts().runScript({ source: SLEEP(1900) }).then((r) => ({ value: r.result?.returnValue?.kind.value, at: Date.now() }));
    const queued: Promise<{ f: Awaited<ReturnType<typeof failure>>; at: number }>[] = [];
    const stopping: Promise<unknown>[] = [];
    try {
      // One running, three behind it in the queue, before the Stop (not a still-compiling one beside them).
      await untilMetrics(scripts(), "the sleeping execution runs", (m) => m.busyIsolates === 1n);
      queued.push(...[0, 1, 2].map(() => failure(scripts().runScript({ source: SLEEP(10) })).then((f) => ({ f, at: Date.now() }))));
      await untilMetrics(scripts(), "three executions wait in the queue", (m) => m.queueLength === 3n);
      const stop = scripts().stop({ reason: "maintenance" }).then((r) => ({ status: r.health?.status, at: Date.now() }));
      stopping.push(stop);

      const refused = await Promise.all(queued);
      for (const { f } of refused) {
        expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
        expect(f.err.findDetails(RetryInfoSchema)).toHaveLength(1);
      }
      expect(await statusNow()).toBe(ServiceStatus.STOPPING);
      const late = await failure(scripts().runScript({ source: "1" }));
      expect([late.code, late.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);

      const ran = await running;
      expect(ran.value).toBe("slept");
      // The queued ones were refused at once, not after the running one.
      expect(Math.max(...refused.map((q) => q.at))).toBeLessThan(ran.at);
      const stopped = await stop;
      expect(stopped.status).toBe(ServiceStatus.STOPPED);
      expect(stopped.at).toBeGreaterThanOrEqual(ran.at - 50);
    } finally {
      await settle([running, ...queued, ...stopping]);
    }

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
    const running = failure(scripts().runScript({ source: SLEEP(20000) }));
    try {
      await untilMetrics(scripts(), "the execution runs", (m) => m.busyIsolates === 1n);
      const t0 = Date.now();
      const stopped = await scripts().stop({ reason: "now" });
      expect(stopped.health?.status).toBe(ServiceStatus.STOPPED);
      expect(Date.now() - t0).toBeLessThan(15000);
      const f = await running;
      expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    } finally {
      await settle([running]);
    }
    expect((await scripts().start({})).health?.status).toBe(ServiceStatus.HEALTHY);
  });

  it("a Start sent while Stop drains waits for it, then starts the engine again", async () => {
    // Still running when the Start is sent, and done well within the 4 s grace.
    const running = scripts().runScript({ source: SLEEP(1900) });
    const held: Promise<unknown>[] = [running];
    try {
      await untilMetrics(scripts(), "the execution runs", (m) => m.busyIsolates === 1n);
      const stop = scripts().stop({ reason: "brief" });
      held.push(stop);
      await untilStatus(ServiceStatus.STOPPING);
      const start = scripts().start({});
      held.push(start);
      expect((await stop).health?.status).toBe(ServiceStatus.STOPPED);
      expect((await start).health?.status).toBe(ServiceStatus.HEALTHY);
      expect((await running).result?.returnValue?.kind.value).toBe("slept");
    } finally {
      await settle(held);
    }
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
    try {
      await until("four HealthStatusChanged events came", () => events.length >= 4, { seen: () => events });
    } finally {
      ac.abort();
      await reading;
    }
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
    await untilStatus(ServiceStatus.UNHEALTHY);

    const seen: ServiceStatus[] = [];
    const ac = new AbortController();
    let subscribed = false;
    const events = (async () => {
      try {
        for await (const m of clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["health_status_changed"] }, { signal: ac.signal })) {
          if (m.message.case === "started") subscribed = true;
          if (m.message.case === "event" && m.message.value.event.case === "healthStatusChanged") seen.push(m.message.value.event.value.status);
        }
      } catch {
        /* aborted */
      }
    })();
    try {
      // Subscribed before the Start: otherwise seeing no event would prove nothing.
      await until("the subscription started", () => subscribed);
      const started = await scripts().start({});
      expect(started.health?.status).toBe(ServiceStatus.UNHEALTHY);
      const probe = await clientFor(Health, "grpc-js", server).check({ service: "" });
      expect(probe.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      await sleep(300); // time for an event the Start should not have caused
    } finally {
      ac.abort();
      await events;
    }
    expect(seen).toEqual([]);
  });
});
