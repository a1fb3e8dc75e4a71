// A principal whose executions keep taking workers down (a script V8 aborts its worker for, one
// deaf to the time limit) costs everyone else their runs on those workers and the capacity while
// they restart. Past pool.max_worker_kills replacements blamed on it within pool.worker_kill_window,
// its new executions are refused (RESOURCE_EXHAUSTED with RetryInfo) until the oldest leaves the
// window; other principals are served. Without credentials (one local principal) it never applies.
// In the engine: a run deaf to its time limit, and a cancelled run that would not stop, are strikes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { until } from "../helpers/until.ts";
import { EngineError, type Engine, type WorkerExit } from "../../src/engine/index.ts";
import { run, startEngine } from "./helpers.ts";

// V8 aborts the worker (invalid size), blamed on the script as its memory limit (worker-crash-log.test.ts).
const CRASH = '"x".repeat(2**28).split("").length';
const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdef";
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const principals = `[[auth.principals]]\nname = "alice"\ntoken = "${ALICE}"\n[[auth.principals]]\nname = "bob"\ntoken = "${BOB}"\n`;

const valueOf = async (p: Promise<{ result?: { returnValue?: { kind: { value?: unknown } } } }>) => (await p).result?.returnValue?.kind.value;

describe("a principal past pool.max_worker_kills", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ toml: `[pool]\nworkers = 1\nmax_worker_kills = 2\nworker_kill_window = "60s"\n${principals}` });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("is refused RESOURCE_EXHAUSTED with RetryInfo once two of its runs took workers down; another principal is served", async () => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    for (let i = 0; i < 2; i++) {
      const f = await failure(scripts.runScript({ source: CRASH }, as(ALICE)));
      expect([f.code, f.reason, f.metadata.resource]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "memory"]);
    }
    const refused = await failure(scripts.runScript({ source: "1 + 1" }, as(ALICE)));
    expect([refused.code, refused.reason, refused.metadata.resource, refused.metadata.limit]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "worker_replacements", "2"]);
    expect(refused.err.rawMessage).toMatch(/^caller "alice"'s executions took down 2 workers in the last 60 s \(limit 2\); refused for another \d+ s$/);
    const delay = refused.err.findDetails(RetryInfoSchema)[0]?.retryDelay;
    const delayMs = Number(delay?.seconds ?? 0) * 1000 + (delay?.nanos ?? 0) / 1e6;
    expect(delayMs).toBeGreaterThan(0);
    expect(delayMs).toBeLessThanOrEqual(60_000);

    expect(await valueOf(scripts.runScript({ source: "6 * 7" }, as(BOB)))).toBe(42);
    // Still refused; the operator hears once, not per refused call.
    expect((await failure(scripts.runScript({ source: "2 + 2" }, as(ALICE)))).metadata.resource).toBe("worker_replacements");
    const lines = server.logs().split("\n").filter((l) => l.includes("keep taking down workers")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([expect.objectContaining({ level: "warn", principal: "alice", kills: 2, window_ms: 60_000, key: "pool.max_worker_kills" })]);
  }, 60_000);
});

it("a principal is served again once its strike leaves a short window", async () => {
  const server = await startServer({ toml: `[pool]\nworkers = 1\nmax_worker_kills = 1\nworker_kill_window = "3s"\n${principals}` });
  try {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    // Compiled now, so that the refused call below is answered without waiting for the replacement worker.
    expect(await valueOf(scripts.runScript({ source: "1" }, as(ALICE)))).toBe(1);
    expect((await failure(scripts.runScript({ source: CRASH }, as(ALICE)))).metadata.resource).toBe("memory");
    expect((await failure(scripts.runScript({ source: "1" }, as(ALICE)))).metadata.resource).toBe("worker_replacements");
    let refusals = 0;
    const served = await until("alice is served again", async () => {
      try {
        return await valueOf(scripts.runScript({ source: "'again'" }, as(ALICE)));
      } catch (e) {
        // Only the breaker's refusal is waited out.
        expect((await failure(Promise.reject(e))).metadata.resource).toBe("worker_replacements");
        refusals++;
        return undefined;
      }
    }, { intervalMs: 200 });
    expect(served).toBe("again");
    expect(refusals).toBeLessThan(100);
  } finally {
    await server.stop();
  }
}, 60_000);

it("without credentials the local principal is never refused by it", async () => {
  const server = await startServer({ toml: `[pool]\nworkers = 1\nmax_worker_kills = 1\n` });
  try {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    for (let i = 0; i < 3; i++) expect((await failure(scripts.runScript({ source: CRASH }))).metadata.resource).toBe("memory");
    expect(await valueOf(scripts.runScript({ source: "6 * 7" }))).toBe(42);
  } finally {
    await server.stop();
  }
}, 60_000);

it("refuses a bad pool.max_worker_kills or pool.worker_kill_window, naming the key", () => {
  expect(() => loadConfig({ env: {}, argv: ["--set", "pool.max_worker_kills=-1"] })).toThrow(/pool\.max_worker_kills: must be at least 0/);
  expect(() => loadConfig({ env: {}, argv: ["--set", "pool.worker_kill_window=500ms"] })).toThrow(/pool\.worker_kill_window: must be at least 1s, got 500ms$/);
  const { config } = loadConfig({ env: {}, argv: [] });
  expect([config.pool.maxWorkerKills, config.pool.workerKillWindowMs]).toEqual([3, 60_000]);
});

describe("the engine's breaker (maxWorkerKillsPerCaller)", () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });
  const caller = (key: string) => ({ key, limit: 10 });
  const refusalOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as EngineError);

  it("a run that holds its worker past its deadline (deaf to the time limit) is a strike: its caller is refused, another is not", async () => {
    engine = await startEngine({ workers: 1, enableTestHooks: true, heartbeatTimeoutMs: 60_000, hangGraceMs: 500, maxWorkerKillsPerCaller: 1, workerKillWindowMs: 60_000 });
    const stuck = await run(engine, "1", { testHook: "hang", caller: caller("a"), limits: { wallTimeoutMs: 300 } as never });
    expect(stuck.error).toMatchObject({ kind: "timeout" });
    const refused = await refusalOf(run(engine, "1", { caller: caller("a") }));
    expect(refused).toBeInstanceOf(EngineError);
    expect(refused).toMatchObject({ reason: "RESOURCE_EXCEEDED", resource: "worker_replacements", limit: 1 });
    expect(refused!.retryAfterMs).toBeGreaterThan(0);
    expect(refused!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect((await run(engine, "6 * 7", { caller: caller("b"), limits: { wallTimeoutMs: 20_000 } as never })).returnValue).toBe(42);
  }, 60_000);

  it("a cancelled run whose worker was replaced to stop it is a strike, though its caller already heard it was cancelled", async () => {
    const exits: WorkerExit[] = [];
    engine = await startEngine({ workers: 1, enableTestHooks: true, heartbeatTimeoutMs: 60_000, maxWorkerKillsPerCaller: 1, onWorkerExit: (x) => exits.push(x) });
    const e = engine;
    const cancel = new AbortController();
    const cpu = e.stats().workersCpuMs;
    const held = run(e, "1", { testHook: "hang", caller: caller("a"), executionId: "held", limits: { wallTimeoutMs: 60_000 } as never }, cancel.signal);
    // Spinning in the worker, not only sent there (a cancel that arrives first drops it unstarted: nothing to replace).
    await until("the worker spins", () => e.stats().workersCpuMs - cpu >= 500, { seen: () => e.stats() });
    cancel.abort();
    expect((await held).error).toMatchObject({ kind: "cancelled" });
    await until("its worker is replaced", () => exits.length === 1, { seen: () => exits });
    expect(exits[0]).toMatchObject({ reason: "did not stop a cancelled execution in time", blamed: [{ executionId: "held" }] });
    await until("its caller is refused", async () => (await refusalOf(run(e, "1", { caller: caller("a"), limits: { wallTimeoutMs: 20_000 } as never })))?.resource === "worker_replacements");
  }, 60_000);
});
