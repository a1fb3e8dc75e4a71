// The human metrics view (metrics, and each metrics --watch refresh) showed only the number of
// event subscribers: the lag counters GetMetrics added for the operator were in --json alone.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { PerformanceMetricsSchema } from "../../clients/ts/src/index.ts";
import { metricsView } from "../../src/cli/commands/status.ts";

it("the events row shows the events lagging subscribers missed and the streams ended for it", () => {
  const view = metricsView(create(PerformanceMetricsSchema, { eventSubscribers: 3n, laggedEvents: 373n, lagDisconnects: 8n }));
  const events = view.split("\n").find((l) => l.startsWith("events"));
  expect(events).toBe("events      3 subscribers · 373 missed by lagging subscribers · 8 lag disconnects");
});
