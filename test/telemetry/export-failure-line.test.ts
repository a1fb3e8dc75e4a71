// What an operator reads when the collector refuses exports: for spans, one warn line saying the
// exporter's error with the collector's status code and answer as fields; for metrics, the reader's
// own sentence with the same fields (it had neither). Both lines were OTel's serialized error, stack frames first (the status code and the
// collector's answer last, where the line's clip could cut them).
import { afterAll, beforeAll, expect, it } from "vitest";
import { oneSpan, otlpCollector, serverExportingTo, type OtlpCollector } from "../helpers/otlp-collector.ts";
import type { TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const ANSWER = "quota exceeded for tenant ops";
let collector: OtlpCollector;
let server: TestServer;

beforeAll(async () => {
  collector = await otlpCollector((res) => {
    res.statusCode = 500;
    res.end(ANSWER);
  });
  server = await serverExportingTo(`http://127.0.0.1:${collector.port}`, { OTEL_METRIC_EXPORT_INTERVAL: "200" });
}, 30_000);

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  collector?.close();
});

it("a refused export is one line saying the error, with the collector's status code and answer", async () => {
  await oneSpan(server);
  const lines = () => server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith("telemetry: "));
  const spans = await until("the refused span export is logged", () => lines().find((l) => String(l.msg).includes("OTLPExporterError") && !String(l.msg).includes("metrics export")), { timeoutMs: 20_000 });
  expect(spans).toMatchObject({ level: "warn", msg: "telemetry: OTLPExporterError: Internal Server Error", code: "500", data: ANSWER });
  const metrics = await until("the refused metrics export is logged", () => lines().find((l) => String(l.msg).includes("metrics export failed")), { timeoutMs: 20_000 });
  // The reader quotes the exporter's error as text only: its code and answer come from the exporter.
  expect(metrics).toMatchObject({
    level: "warn",
    msg: "telemetry: PeriodicExportingMetricReader: metrics export failed (error OTLPExporterError: Internal Server Error)",
    code: "500",
    data: ANSWER,
  });
}, 30_000);
