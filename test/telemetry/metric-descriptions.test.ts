// The descriptions exported with the engine's counters say everything each one counts (as the
// proto's GetMetrics comments do): isolate recycles also count isolates disposed after a limit hit,
// worker restarts also count workers replaced to stop a script (over its time, or cancelled).
import { expect, it } from "vitest";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { observeServer } from "../../src/telemetry/metrics.ts";
import type { EngineStats } from "../../src/engine/index.ts";

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

it("scriptengine.isolate.recycles and scriptengine.worker.restarts describe what they count", async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const stats = { cacheHits: 0, cacheMisses: 0, isolateRecycles: 3, workerRestarts: 2, busyIsolates: 0, poolSize: 1, queueLength: 0 } as unknown as EngineStats;
  observeServer(provider.getMeter("test"), { engine: () => stats });
  const { resourceMetrics } = await reader.collect();
  const described = Object.fromEntries(resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m.descriptor.description]));
  expect(described["scriptengine.isolate.recycles"]).toMatch(/limit hit/);
  expect(described["scriptengine.isolate.recycles"]).toMatch(/recycle_after/);
  expect(described["scriptengine.worker.restarts"]).toMatch(/crash/);
  expect(described["scriptengine.worker.restarts"]).toMatch(/past its time/);
  expect(described["scriptengine.worker.restarts"]).toMatch(/cancel/);
  await provider.shutdown();
});
