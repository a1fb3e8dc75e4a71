// Messages that said something other than what was meant: "--timeout 0s" is a duration (just not a
// positive one), the longest duration is said in a unit a value may be written in (there is no
// "d"), and a count of one takes the singular ("1 tools: 1 ok").
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { PerformanceMetricsSchema } from "../../clients/ts/src/index.ts";
import { metricsView } from "../../src/cli/commands/status.ts";
import { durationMs, MAX_TIMER_MS } from "../../src/cli/input.ts";
import { count } from "../../src/cli/output.ts";
import { loadConfig } from "../../src/config/load.ts";

it("a zero duration is refused as not positive; an unreadable one as not a duration", () => {
  for (const zero of ["0s", "0", "0ms"]) expect(() => durationMs(zero, "--timeout")).toThrow(`--timeout must be a positive duration such as 5s or 500ms, got "${zero}"`);
  expect(() => durationMs("soon", "--watch")).toThrow(`--watch expects a duration such as 5s or 500ms, got "soon"`);
  expect(durationMs("1ms", "--timeout")).toBe(1);
  // Under half a millisecond rounds to none: said so, not "positive" (it is).
  expect(() => durationMs("0.4ms", "--timeout")).toThrow(`--timeout must be at least 1ms (durations are whole milliseconds), got "0.4ms"`);
  expect(durationMs("0.5ms", "--timeout")).toBe(1);
});

it("the longest duration is said in hours as well as days, rounded down, and that many hours is accepted", () => {
  expect(() => durationMs("597h", "--watch")).toThrow(`--watch must be at most ${MAX_TIMER_MS} ms (about 596h, 24.8 days), got "597h"`);
  expect(durationMs("596h", "--watch")).toBe(596 * 3_600_000);
  expect(() => loadConfig({ argv: ["--set", "server.shutdown_grace=597h"], env: {} })).toThrow(`server.shutdown_grace: must be at most ${MAX_TIMER_MS} ms (about 596h, 24.8 days), got "597h"`);
  expect(loadConfig({ argv: ["--set", "server.shutdown_grace=596h"], env: {} }).config.server.shutdownGraceMs).toBe(596 * 3_600_000);
});

it("counts of one are singular", () => {
  expect([count(0, "tool"), count(1, "tool"), count(2n, "tool"), count(1n, "miss", "misses"), count(3, "miss", "misses")]).toEqual(["0 tools", "1 tool", "2 tools", "1 miss", "3 misses"]);
  const view = metricsView(create(PerformanceMetricsSchema, { cacheSize: 1n, cacheHits: 1n, cacheMisses: 1n, totalCompilations: 1n, isolateRecycles: 1n, workerRestarts: 1n, eventSubscribers: 1n, lagDisconnects: 1n }));
  const row = (name: string) => view.split("\n").find((l) => l.startsWith(name));
  expect(row("cache")).toMatch(/ 1 script · 1 hit \/ 1 miss \(.*\) · 1 compilation$/);
  expect(row("recycling")).toMatch(/ 1 isolate recycle · 1 worker restart$/);
  expect(row("events")).toMatch(/ 1 subscriber · 0 missed by lagging subscribers · 1 lag disconnect$/);
});
