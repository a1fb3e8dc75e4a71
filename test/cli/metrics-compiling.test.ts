// The human metrics view shows the compile queue when compilations are in it (the row that tells an
// operator why CompileScript is refused QUEUE_FULL compile_queue), and no row when it is empty.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { PerformanceMetricsSchema } from "../../clients/ts/src/index.ts";
import { metricsView } from "../../src/cli/commands/status.ts";

const row = (view: string) => view.split("\n").find((l) => l.startsWith("compiling"));

it("the compiling row shows compilations waited for and abandoned", () => {
  expect(row(metricsView(create(PerformanceMetricsSchema, { compileQueueLength: 1n, abandonedCompilations: 2n })))).toBe("compiling   1 compilation waited for · 2 abandoned");
  expect(row(metricsView(create(PerformanceMetricsSchema, { compileQueueLength: 0n, abandonedCompilations: 1n })))).toBe("compiling   0 compilations waited for · 1 abandoned");
});

it("no compiling row while nothing compiles", () => {
  expect(row(metricsView(create(PerformanceMetricsSchema, {})))).toBeUndefined();
});
