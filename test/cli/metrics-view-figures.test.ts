// The metrics view: refused compilations are a since-start count, like refused executions, but were
// shown only while something compiled; a server with no executions read "success 0.0%"; and a
// stopped engine read "pool 0 workers", GetMetrics carrying no status.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { PerformanceMetricsSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { metricsView } from "../../src/cli/commands/status.ts";

const row = (name: string, m: Parameters<typeof create<typeof PerformanceMetricsSchema>>[1]) =>
  metricsView(create(PerformanceMetricsSchema, m)).split("\n").find((l) => l.startsWith(name));

it("refused compilations are shown once nothing compiles any more", () => {
  expect(row("compiling", { rejectedCompilations: 1n })).toBe("compiling   0 compilations waited for · 0 abandoned · 1 refused");
  expect(row("compiling", {})).toBeUndefined();
});

it("no executions yet: no success rate, not 0 %", () => {
  expect(row("executions", { poolSize: 1n })).toBe("executions  0 (0 ok, 0 failed, success -)");
  expect(row("executions", { totalExecutions: 4n, successfulExecutions: 3n, failedExecutions: 1n, successRate: 0.75 })).toBe("executions  4 (3 ok, 1 failed, success 75.0%)");
});

it("a stopped engine (no workers) is said to be stopped", () => {
  expect(row("pool", { poolSize: 0n })).toBe("pool        the engine is stopped (0 workers)");
});
