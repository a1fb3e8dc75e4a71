// GetMetrics figures from the engine's own counters.

import type { Engine } from "../engine/index.ts";
import type { MetricsContributor } from "./script-service.ts";
import { durationOf } from "./duration.ts";

export function engineMetrics(engine: Engine): MetricsContributor {
  return (m) => {
    const s = engine.stats();
    m.memoryUsage += BigInt(s.workersRssBytes);
    m.activeConnections = BigInt(s.active);
    m.totalExecutions = BigInt(s.executionsTotal);
    m.successfulExecutions = BigInt(s.executionsSucceeded);
    m.failedExecutions = BigInt(s.executionsFailed);
    m.successRate = s.executionsTotal > 0 ? s.executionsSucceeded / s.executionsTotal : 0;
    m.latencyP50 = durationOf(s.latencyP50Ms);
    m.latencyP95 = durationOf(s.latencyP95Ms);
    m.latencyP99 = durationOf(s.latencyP99Ms);
    m.averageExecutionTime = durationOf(s.averageExecutionMs);
    m.cacheSize = BigInt(s.cacheSize);
    m.cacheHits = BigInt(s.cacheHits);
    m.cacheMisses = BigInt(s.cacheMisses);
    m.cacheHitRate = s.cacheHits + s.cacheMisses > 0 ? s.cacheHits / (s.cacheHits + s.cacheMisses) : 0;
    m.queueLength = BigInt(s.queueLength);
    m.compileQueueLength = BigInt(s.compilesInFlight);
    m.abandonedCompilations = BigInt(s.compilesAbandoned);
    m.rejectedExecutions = BigInt(s.rejected);
    m.rejectedCompilations = BigInt(s.compilesRejected);
    m.poolSize = BigInt(s.poolSize);
    m.busyIsolates = BigInt(s.busyIsolates);
    m.isolateRecycles = BigInt(s.isolateRecycles);
    m.workerRestarts = BigInt(s.workerRestarts);
    m.totalCompilations = BigInt(s.compilations);
  };
}
