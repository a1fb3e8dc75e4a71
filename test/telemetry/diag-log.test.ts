// OpenTelemetry's diagnostics in the service log once telemetry has started: each kind of message
// at most once a minute, so a flood of one kind (span timing warnings under traffic) cannot hide
// another (an export failing); and the line stays bounded however long the message is (a
// serialized error with its stack and a collector's answer).
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { diag } from "@opentelemetry/api";
import { createLogger } from "../../src/log.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/index.ts";

const lines: Record<string, unknown>[] = [];
let telemetry: Telemetry;

beforeAll(async () => {
  const log = createLogger("debug", {}, (line) => lines.push(JSON.parse(line)));
  telemetry = (await startTelemetry({ enabled: true, serviceName: "diag-test", otlp: false, prometheusAddress: "" }, log, { spanProcessors: [], metricReaders: [] }))!;
});
afterAll(() => telemetry?.shutdown());
beforeEach(() => {
  lines.length = 0;
});

const diagLines = () => lines.filter((l) => String(l.msg).startsWith("telemetry: "));
const exportFailed = (port: number) =>
  JSON.stringify({ stack: `Error: connect ECONNREFUSED 127.0.0.1:${port}\n    at TCPConnectWrap.afterConnect`, message: `connect ECONNREFUSED 127.0.0.1:${port}`, code: "ECONNREFUSED" });

it("an export failure is logged though another kind of diagnostic floods the same minute", () => {
  for (let i = 0; i < 100; i++) diag.warn("Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.", [1, 2], [1, 3]);
  diag.error(exportFailed(4318));
  diag.error(exportFailed(4319)); // the same kind: throttled
  expect(diagLines().map((l) => l.msg)).toEqual([
    "telemetry: Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.",
    "telemetry: connect ECONNREFUSED 127.0.0.1:4318",
  ]);
  expect(diagLines()[1]).toMatchObject({ code: "ECONNREFUSED", at: "TCPConnectWrap.afterConnect" });
});

it("reads a serialized error: its first line, the collector's answer clipped, and the detail clipped", () => {
  diag.error(JSON.stringify({ stack: "OTLPExporterError: Bad Request\n" + "x".repeat(100_000), data: "y".repeat(100_000) }), "z".repeat(10_000));
  const [line] = diagLines();
  expect(line!.msg).toBe("telemetry: OTLPExporterError: Bad Request");
  expect(Buffer.byteLength(String(line!.data))).toBeLessThanOrEqual(512);
  expect(Buffer.byteLength(String(line!.detail))).toBeLessThanOrEqual(512);
});

it("clips a message too long to read", () => {
  diag.error(JSON.stringify({ stack: "OTLPExporterError: Bad Request\n" + "x".repeat(100_000), data: "y".repeat(2_000_000) }));
  const [line] = diagLines();
  expect(String(line!.msg).startsWith('telemetry: {"stack":"OTLPExporterError: Bad Request')).toBe(true);
  expect(String(line!.msg).endsWith("…")).toBe(true);
  expect(Buffer.byteLength(String(line!.msg))).toBeLessThanOrEqual(600);
});
