// What an operator reads when the collector refuses exports: for spans, one warn line saying the
// exporter's error with the collector's status code and answer as fields; for metrics, the reader's
// own sentence. Both lines were OTel's serialized error, stack frames first (the status code and the
// collector's answer last, where the line's clip could cut them).
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createScriptEngineClient } from "../../clients/ts/src/index.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const ANSWER = "quota exceeded for tenant ops";
let collector: Server;
let server: TestServer;

beforeAll(async () => {
  collector = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.statusCode = 500;
      res.end(ANSWER);
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  server = await startServer({
    args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false", "--set", "telemetry.enabled=true"],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as { port: number }).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_METRIC_EXPORT_INTERVAL: "200",
    },
  });
}, 30_000);

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  collector?.close();
});

it("a refused export is one line saying the error, with the collector's status code and answer", async () => {
  const client = createScriptEngineClient({ address: server.grpc, retry: false });
  await client.health(); // a span to export
  client.close();
  const lines = () => server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith("telemetry: "));
  const spans = await until("the refused span export is logged", () => lines().find((l) => String(l.msg).includes("OTLPExporterError") && !String(l.msg).includes("metrics export")), { timeoutMs: 20_000 });
  expect(spans).toMatchObject({ level: "warn", msg: "telemetry: OTLPExporterError: Internal Server Error", code: "500", data: ANSWER });
  const metrics = await until("the refused metrics export is logged", () => lines().find((l) => String(l.msg).includes("metrics export failed")), { timeoutMs: 20_000 });
  expect(metrics.msg).toBe("telemetry: PeriodicExportingMetricReader: metrics export failed (error OTLPExporterError: Internal Server Error)");
}, 30_000);
