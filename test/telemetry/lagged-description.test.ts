// scriptengine.events.lagged counts more than overflowing buffers: a buffer the bus drops whole past
// events.subscribers_bytes counts its events too, and its description must say so (as GetMetrics'
// lagged_events comment does), as well as how a subscriber is told under each on_lag.
import { expect, it } from "vitest";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { observeServer } from "../../src/telemetry/metrics.ts";
import type { EngineStats } from "../../src/engine/index.ts";

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

it("scriptengine.events.lagged names every bound whose loss it counts", async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const stats = { cacheHits: 0, cacheMisses: 0, isolateRecycles: 0, workerRestarts: 0, busyIsolates: 0, poolSize: 1, queueLength: 0 } as unknown as EngineStats;
  observeServer(provider.getMeter("test"), { engine: () => stats, eventLag: () => ({ laggedEvents: 30, lagDisconnects: 0 }) });
  const { resourceMetrics } = await reader.collect();
  const lagged = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === "scriptengine.events.lagged");
  const described = lagged?.descriptor.description ?? "";
  expect(described).toMatch(/subscriber_buffer\b/);
  expect(described).toMatch(/subscriber_buffer_bytes/);
  expect(described).toMatch(/subscribers_bytes/);
  expect(described).toMatch(/EVENTS_LOST/);
  await provider.shutdown();
});
