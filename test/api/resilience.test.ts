// The engine under stress through the real server: a full queue, a crashed worker, a cancelled
// call, a stopped engine, a restart, and a shutdown with an execution in flight.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { childPids } from "../helpers/procs.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

const SLEEP = (ms: number) => `export default async () => { await new Promise((r) => setTimeout(r, ${ms})); return "slept"; }`;

describe("one worker, a queue of two", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Sleeping scripts fill the worker only when none may park there (pool.max_parked = 0).
    server = await startServer({ args: ["--set", "pool.workers=1", "--set", "pool.max_queue=2", "--set", "pool.max_parked=0"] });
  });
  afterAll(async () => {
    await server.stop();
  });
  const scripts = () => clientFor(ScriptService, "grpc-js", server);

  it("a full queue is RESOURCE_EXHAUSTED with QUEUE_FULL and RetryInfo; queued work still completes", async () => {
    // One running + two queued fill the engine; the fourth is refused at once.
    const client = scripts();
    const held = [0, 1, 2].map(() => client.runScript({ source: SLEEP(1500) }));
    try {
      // All three in (however slow the machine), then the running one 300 ms into its sleep.
      await untilMetrics(client, "one execution runs and two are queued", (m) => m.busyIsolates === 1n && m.queueLength === 2n);
      await new Promise((r) => setTimeout(r, 300));
      const f = await failure(client.runScript({ source: "1" }));
      expect([f.code, f.reason]).toEqual(["ResourceExhausted", "QUEUE_FULL"]);
      // The advice reflects the work in front (a running execution 300 ms in), not a lifetime average.
      const delay = f.err.findDetails(RetryInfoSchema)[0]?.retryDelay;
      expect(Number(delay?.seconds ?? 0) * 1000 + (delay?.nanos ?? 0) / 1e6).toBeGreaterThanOrEqual(200);
      const done = await Promise.all(held);
      expect(done.map((d) => d.result?.returnValue?.kind.value)).toEqual(["slept", "slept", "slept"]);
      expect((await scripts().runScript({ source: "'after'" })).result?.returnValue?.kind.value).toBe("after");
    } finally {
      await settle(held);
    }
  });

  it("a worker killed mid-execution fails that call with UNAVAILABLE WORKER_CRASHED; the next call succeeds", async () => {
    const running = scripts().runScript({ source: SLEEP(5000) });
    try {
      await untilMetrics(scripts(), "the execution runs on the worker", (m) => m.busyIsolates === 1n);
      const workers = childPids(server.proc.pid!);
      expect(workers.length).toBeGreaterThan(0);
      for (const pid of workers) process.kill(pid, "SIGKILL");
      const f = await failure(running);
      expect([f.code, f.reason]).toEqual(["Unavailable", "WORKER_CRASHED"]);
    } finally {
      await settle([running]);
    }
    const next = await scripts().runScript({ source: "6 * 7" });
    expect(next.result?.returnValue?.kind.value).toBe(42);
    const metrics = await scripts().getMetrics({});
    expect(metrics.metrics?.workerRestarts).toBeGreaterThanOrEqual(1n);
    // The operator's log says which worker went, why, and what it held.
    const line = server.logs().split("\n").find((l) => l.includes('"worker replaced"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ reason: "exited (SIGKILL)", failed: 1, blamed: [] });
  });

  it("a cancelled call stops its script, freeing the isolate", async () => {
    const ac = new AbortController();
    const running = scripts().runScript({ source: "while (true) {}", context: { timeout: durationFromMs(20_000) } }, { signal: ac.signal });
    try {
      // Cancelled once it spins (cancelling it while queued would prove nothing about freeing the isolate).
      await untilMetrics(scripts(), "the loop runs on the worker", (m) => m.busyIsolates === 1n);
    } finally {
      ac.abort();
    }
    expect((await failure(running)).code).toBe("Canceled");
    // With one worker, this would wait 20 s if the loop were still running.
    const next = await scripts().runScript({ source: "'free'" }, { timeoutMs: 8000 });
    expect(next.result?.returnValue?.kind.value).toBe("free");
  });

  it("a compile whose caller gave up (deadline) stores nothing, so its retry adds no extra version", async () => {
    const busy = scripts().runScript({ source: "const t = Date.now(); while (Date.now() - t < 2000); 1", context: { timeout: durationFromMs(10_000) } });
    try {
      // The compiles below must wait behind it on the one worker.
      await untilMetrics(scripts(), "the busy script holds the worker", (m) => m.busyIsolates === 1n);
      for (let attempt = 0; attempt < 2; attempt++) {
        const f = await failure(scripts().compileScript({ source: "export default () => 'v'", context: { scriptId: "gave-up" } }, { timeoutMs: 400 }));
        expect(f.code).toBe("DeadlineExceeded");
      }
    } finally {
      await settle([busy]);
    }
    await busy;
    await new Promise((r) => setTimeout(r, 300));
    expect((await failure(scripts().getScript({ scriptId: "gave-up" }))).reason).toBe("SCRIPT_NOT_FOUND");
    expect((await scripts().compileScript({ source: "export default () => 'v'", context: { scriptId: "gave-up" } })).script?.version).toBe(1);
  });

  it("a stopped engine refuses work with UNAVAILABLE until started again", async () => {
    await scripts().stop({ reason: "maintenance" });
    const f = await failure(scripts().runScript({ source: "1" }));
    expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    expect((await scripts().healthCheck({})).health?.status).toBe(6);
    // Migrating and validating run tool code in the engine: refused too.
    const migration = clientFor(MigrationService, "grpc-js", server);
    const m = await failure(migration.migrateTool({ toolName: "text_search", config: { dryRun: true } }));
    expect([m.code, m.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    const v = await failure(migration.validateMigration({ toolName: "text_search" }));
    expect([v.code, v.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    await scripts().start({});
    expect((await migration.migrateTool({ toolName: "text_search", config: { dryRun: true } })).result?.errors).toEqual([]);
    expect((await scripts().runScript({ source: "2" })).result?.returnValue?.kind.value).toBe(2);
  });
});

describe("restart and shutdown", () => {
  it("stored scripts survive a restart", async () => {
    const first = await startServer();
    await clientFor(ScriptService, "connect", first).compileScript({ source: "export default (a) => a.x + 1", context: { scriptId: "durable" } });
    expect(await first.stop()).toBe(0);
    const second = await startServer({ dataDir: first.dataDir });
    try {
      const { result } = await clientFor(ScriptService, "grpc-js", second).executeScript({
        scriptId: "durable",
        context: { arguments: { x: { kind: { case: "numberValue", value: 41 } } } },
      });
      expect(result?.returnValue?.kind.value).toBe(42);
    } finally {
      await second.stop();
    }
  });

  it("SIGTERM lets in-flight executions finish on both doors, then exits 0", async () => {
    const server = await startServer();
    const calls = [
      clientFor(ScriptService, "grpc-js", server).runScript({ source: SLEEP(1200) }),
      clientFor(ScriptService, "connect", server).runScript({ source: SLEEP(1200) }),
    ];
    try {
      // Both in flight (started on a worker): what is still queued at SIGTERM is refused by design.
      await untilMetrics(clientFor(ScriptService, "grpc-js", server), "both executions run", (m) => m.busyIsolates === 2n);
      const exited = server.stop("SIGTERM");
      const results = await Promise.all(calls);
      expect(results.map((r) => r.result?.returnValue?.kind.value)).toEqual(["slept", "slept"]);
      expect(await exited).toBe(0);
    } finally {
      await server.stop();
      await settle(calls);
    }
  });
});

describe("per-caller concurrency and health signals", () => {
  const TOKEN = "one-at-a-time-token-0123456789";
  const OTHER = "another-caller-token-0123456789";
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      toml: `[pool]\nworkers = 1\nmax_queue = 1\nmax_parked = 0\n[health_check]\ninterval = "100ms"\ndegraded_queue_ratio = 0.5\n[[auth.principals]]\nname = "solo"\ntoken = "${TOKEN}"\nmax_security_level = "production"\nmax_concurrent = 1\n[[auth.principals]]\nname = "other"\ntoken = "${OTHER}"\nmax_security_level = "production"\n`,
    });
  });
  afterAll(async () => {
    await server.stop();
  });
  const as = { headers: { authorization: `Bearer ${TOKEN}` } };

  it("a principal over its concurrency is RESOURCE_EXHAUSTED naming the resource", async () => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const first = scripts.runScript({ source: SLEEP(800) }, as);
    try {
      // Running, not still compiling: with max_queue = 1 a second compile meanwhile is QUEUE_FULL instead.
      await untilMetrics(scripts, "the first call runs", (m) => m.busyIsolates === 1n, as);
      const f = await failure(scripts.runScript({ source: "1" }, as));
      expect([f.code, f.reason, f.metadata.resource, f.metadata.limit]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "concurrent_executions", "1"]);
      expect((await first).result?.returnValue?.kind.value).toBe("slept");
    } finally {
      await settle([first]);
    }
  });

  it("a saturated pool with a filling queue reports DEGRADED (still SERVING), then HEALTHY again", async () => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const other = { headers: { authorization: `Bearer ${OTHER}` } };
    // Long enough that a slow machine still sees the pool saturated before it ends.
    const running = scripts.runScript({ source: SLEEP(3000) }, as);
    const held: Promise<unknown>[] = [running];
    let status = 0;
    try {
      await untilMetrics(scripts, "the first call runs", (m) => m.busyIsolates === 1n, as);
      held.push(scripts.runScript({ source: SLEEP(10) }, other));
      await untilMetrics(scripts, "the second call waits in the queue", (m) => m.queueLength === 1n, as);
      for (let i = 0; i < 20 && status !== 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await scripts.healthCheck({}, as)).health?.status ?? 0;
      }
      expect(status).toBe(2);
      expect((await clientFor(Health, "grpc-js", server).check({ service: "" })).status).toBe(1);
      await Promise.all(held);
    } finally {
      await settle(held);
    }
    for (let i = 0; i < 30 && status !== 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await scripts.healthCheck({}, as)).health?.status ?? 0;
    }
    expect(status).toBe(1);
  });

});

describe("health under a caller's own doing", () => {
  it("cancelling spinning scripts replaces their worker without counting it as a failure: the instance stays SERVING", async () => {
    const server = await startServer({ args: ["--set", "pool.workers=1", "--set", "health_check.interval=100ms", "--set", "health_check.unhealthy_failure_count=2"] });
    try {
      const scripts = clientFor(ScriptService, "grpc-js", server);
      for (let i = 0; i < 3; i++) {
        const ac = new AbortController();
        const spinning = scripts.runScript({ source: "for (;;) {}", context: { timeout: durationFromMs(20_000) } }, { signal: ac.signal });
        try {
          // Cancelled once it spins: only then is its worker replaced (and counted below).
          await untilMetrics(scripts, "the loop runs on the worker", (m) => m.busyIsolates === 1n);
        } finally {
          ac.abort();
        }
        expect((await failure(spinning)).code).toBe("Canceled");
        // The next call waits for the replacement worker: the loop was stopped.
        expect((await scripts.runScript({ source: "'after'" }, { timeoutMs: 10_000 })).result?.returnValue?.kind.value).toBe("after");
      }
      await new Promise((r) => setTimeout(r, 300)); // a few health evaluations
      expect((await scripts.healthCheck({})).health?.status).toBe(1);
      expect((await clientFor(Health, "grpc-js", server).check({ service: "" })).status).toBe(1);
      // Replaced, yet no failure of the service. A cancel that reaches the worker before its loop
      // starts (busy_isolates counts a dispatched run) stops it without a replacement: at least one
      // of the three was replaced, none counted as a failure.
      const restarts = Number((await scripts.getMetrics({})).metrics?.workerRestarts);
      expect(restarts).toBeGreaterThanOrEqual(1);
      expect(restarts).toBeLessThanOrEqual(3);
    } finally {
      await server.stop();
    }
  });
});
