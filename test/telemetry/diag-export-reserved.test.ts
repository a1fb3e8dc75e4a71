// OpenTelemetry's diagnostics are throttled per kind, and kinds past the throttle's cap (64) share
// one slot. Export failures are throttled apart, so a run of other kinds cannot hide them there.
import { expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { diagToLog } from "../../src/telemetry/diag-log.ts";

// What the SDK writes when a batch of spans could not be exported in time (its global error
// handler serializes the error) and when a metric export timed out.
const SPAN_EXPORT_FAILED = JSON.stringify({ stack: "Error: Timeout\n    at Timeout._onTimeout (file:///x/sdk-trace/dist/export/BatchSpanProcessorBase.mjs:97:28)", message: "Timeout", name: "Error" });
const METRIC_EXPORT_FAILED = "PeriodicExportingMetricReader: metrics export timed out after 2900ms";

it("export failures are logged after more kinds of other diagnostics than the throttle tells apart", () => {
  const lines: { msg: string }[] = [];
  const diag = diagToLog(createLogger("debug", {}, (line) => lines.push(JSON.parse(line))));
  const word = (i: number) => String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26));
  for (let i = 0; i < 70; i++) diag.warn(`Span ${word(i)} dropped something`);
  expect(lines).toHaveLength(65); // 64 kinds, then the shared slot once
  diag.error(SPAN_EXPORT_FAILED);
  diag.error(METRIC_EXPORT_FAILED);
  diag.error(METRIC_EXPORT_FAILED); // the same kind within the minute: throttled
  expect(lines.slice(65).map((l) => l.msg)).toEqual(["telemetry: Timeout", `telemetry: ${METRIC_EXPORT_FAILED}`]);
});
