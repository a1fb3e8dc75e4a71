// The metrics view's pool row. It read "16/2 isolates busy": busy_isolates counts every execution
// started on a worker and holding an isolate, parked ones (on a timer or a tool call) and registered
// tool runs included, and pool_size the workers, so the ratio read as 800 % use. Now it says what each is.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { PerformanceMetricsSchema } from "../../clients/ts/src/index.ts";
import { metricsView } from "../../src/cli/commands/status.ts";

const row = (view: string) => view.split("\n").find((l) => l.startsWith("pool"));

it("the pool row names workers and isolates in use, not busy isolates out of the pool", () => {
  expect(row(metricsView(create(PerformanceMetricsSchema, { poolSize: 2n, busyIsolates: 16n, queueLength: 0n, activeConnections: 8n })))).toBe(
    "pool        2 workers · 16 isolates in use (running or parked) · queue 0 · active 8",
  );
  expect(row(metricsView(create(PerformanceMetricsSchema, { poolSize: 1n, busyIsolates: 1n, queueLength: 3n, activeConnections: 4n })))).toBe(
    "pool        1 worker · 1 isolate in use (running or parked) · queue 3 · active 4",
  );
});
