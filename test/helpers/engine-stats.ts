// EngineStats for tests of what reads them (health's components): an idle running engine of
// `poolSize` isolates on as many workers, with the fields a test sets over it.
import type { EngineStats } from "../../src/engine/index.ts";

export const engineStats = (over: Partial<EngineStats> = {}): EngineStats => ({
  state: "running", executionsTotal: 0, executionsSucceeded: 0, executionsFailed: 0, rejected: 0, compilesRejected: 0,
  latencyP50Ms: 0, latencyP95Ms: 0, latencyP99Ms: 0, averageExecutionMs: 0, active: 0, queueLength: 0,
  compilesInFlight: 0, compilesAbandoned: 0, compileQueueFull: false,
  poolSize: 1, busyIsolates: 0, parkedExecutions: 0, poolFull: false, workers: 1, isolateRecycles: 0, workerRestarts: 0, cacheSize: 0,
  cacheHits: 0, cacheMisses: 0, compilations: 0, workersRssBytes: 0, workersCpuMs: 0, recentWorkerFailures: 0,
  sentAhead: 0, handedBack: 0, codeByReference: 0, codeResent: 0, uptimeMs: 0, ...over,
});
