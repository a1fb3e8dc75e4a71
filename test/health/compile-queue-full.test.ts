// New sources wait for a compiler in the workers, bounded by pool.max_queue: full, every RunScript and
// CompileScript of a new source is refused QUEUE_FULL (compile_queue). Health says so (DEGRADED), as
// it does for a full execution queue, instead of HEALTHY "serving" with nothing queued.
import { expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import type { EngineStats } from "../../src/engine/index.ts";
import { components, overall, statusMessage } from "../../src/health/monitor.ts";

const stats = (compiles: Pick<EngineStats, "compilesInFlight" | "compilesAbandoned" | "compileQueueFull">): EngineStats => ({
  state: "running", executionsTotal: 0, executionsSucceeded: 0, executionsFailed: 0, rejected: 0,
  latencyP50Ms: 0, latencyP95Ms: 0, latencyP99Ms: 0, averageExecutionMs: 0, active: 1, queueLength: 0,
  poolSize: 1, busyIsolates: 1, workers: 1, isolateRecycles: 0, workerRestarts: 0, cacheSize: 0,
  cacheHits: 0, cacheMisses: 0, compilations: 0, workersRssBytes: 0, workersCpuMs: 0, recentWorkerFailures: 0,
  sentAhead: 0, handedBack: 0, codeByReference: 0, codeResent: 0, uptimeMs: 0, ...compiles,
});

const config = loadConfig({ env: {}, argv: ["--set", "pool.max_queue=4"] }).config;

it("a full compile queue makes the queue DEGRADED and says why", () => {
  const parts = components(stats({ compilesInFlight: 4, compilesAbandoned: 1, compileQueueFull: true }), config, 0, undefined);
  expect(overall(parts).status).toBe(ServiceStatus.DEGRADED);
  expect(statusMessage(parts)).toBe("queue: 0/4 queued, 5 compilations in progress (full: new sources are refused)");
});

it("compilations with room left stay HEALTHY", () => {
  const parts = components(stats({ compilesInFlight: 1, compilesAbandoned: 2, compileQueueFull: false }), config, 0, undefined);
  expect(overall(parts).status).toBe(ServiceStatus.HEALTHY);
  expect(parts.find((c) => c.name === "queue")!.message).toBe("0/4 queued, 3 compilations in progress");
});
