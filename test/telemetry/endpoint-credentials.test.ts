// Credentials in OTEL_EXPORTER_OTLP_ENDPOINT: the exporter sends a user and password in the URL as
// Basic credentials (and a collector may take a key in the query), and the start line logged the
// endpoint as given, key included. It is logged masked now; the collector still gets the credentials.
import { afterAll, beforeAll, expect, it } from "vitest";
import { oneSpan, otlpCollector, serverExportingTo, type OtlpCollector } from "../helpers/otlp-collector.ts";
import type { TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const KEY = "s3cr3t-collector-key";
let collector: OtlpCollector;
let server: TestServer;
let port = 0;

beforeAll(async () => {
  collector = await otlpCollector();
  port = collector.port;
  server = await serverExportingTo(`http://ops:${KEY}@127.0.0.1:${port}?api-key=${KEY}`, { OTEL_METRICS_EXPORTER: "none" });
}, 30_000);

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  collector?.close();
});

it("the start line shows the OTLP endpoint with its credentials masked, and exports still carry them", async () => {
  await oneSpan(server);
  await until("a span export reaches the collector", () => collector.received.length > 0, { timeoutMs: 20_000 });
  expect(collector.received[0]!.authorization).toBe(`Basic ${Buffer.from(`ops:${KEY}`).toString("base64")}`);
  // The query stays a query, after the signal's path (it was sent as "/?api-key=KEY/v1/traces").
  expect(collector.received[0]!.path).toBe(`/v1/traces?api-key=${KEY}`);
  expect(server.logs()).not.toContain(KEY);
  const started = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === "telemetry started");
  expect(started?.otlp_endpoint).toBe(`http://***@127.0.0.1:${port}/?api-key=***`);
}, 30_000);
