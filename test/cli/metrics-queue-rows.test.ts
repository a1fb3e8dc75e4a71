// The human metrics view shows the compile queue when compilations are in it (the row that tells an
// operator why CompileScript is refused QUEUE_FULL compile_queue), and no row when it is empty; and
// executions refused before they ran beside those that ran.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { PerformanceMetricsSchema } from "../../clients/ts/src/index.ts";
import { metricsView } from "../../src/cli/commands/status.ts";

const row = (view: string) => view.split("\n").find((l) => l.startsWith("compiling"));

it("the compiling row shows compilations waited for and abandoned", () => {
  expect(row(metricsView(create(PerformanceMetricsSchema, { compileQueueLength: 1n, abandonedCompilations: 2n, rejectedCompilations: 3n })))).toBe("compiling   1 compilation waited for · 2 abandoned · 3 refused");
  expect(row(metricsView(create(PerformanceMetricsSchema, { compileQueueLength: 0n, abandonedCompilations: 1n })))).toBe("compiling   0 compilations waited for · 1 abandoned · 0 refused");
});

it("no compiling row while nothing compiles", () => {
  expect(row(metricsView(create(PerformanceMetricsSchema, {})))).toBeUndefined();
});

it("the executions row says how many were refused, when any were", () => {
  const row = (view: string) => view.split("\n").find((l) => l.startsWith("executions"));
  expect(row(metricsView(create(PerformanceMetricsSchema, { totalExecutions: 2n, successfulExecutions: 2n, successRate: 1, rejectedExecutions: 5n })))).toBe("executions  2 (2 ok, 0 failed, success 100.0%) · 5 refused");
  expect(row(metricsView(create(PerformanceMetricsSchema, { totalExecutions: 2n, successfulExecutions: 2n, successRate: 1 })))).toBe("executions  2 (2 ok, 0 failed, success 100.0%)");
});
