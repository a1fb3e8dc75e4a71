// A loopback OTLP/HTTP receiver for tests of a real server's exports: it records each request it
// gets and answers 200 "{}" (or what `answer` writes: a failing collector); and a server exporting to one.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createScriptEngineClient } from "../../clients/ts/src/index.ts";
import { startServer, type TestServer } from "./server.ts";

export interface Received {
  path: string;
  authorization: string;
  body: string;
}

export interface OtlpCollector {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT. */
  port: number;
  received: Received[];
  close(): void;
}

export async function otlpCollector(answer?: (res: ServerResponse, req: IncomingMessage) => void): Promise<OtlpCollector> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ path: req.url ?? "", authorization: req.headers.authorization ?? "", body });
      if (answer) return answer(res, req);
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as { port: number }).port, received, close: () => server.close() };
}

/**
 * A real server (one worker, no self-registration) with telemetry on, exporting over OTLP/HTTP JSON
 * to `endpoint`, spans batched every 100 ms; `env` adds or overrides OTEL_* variables, `args` flags.
 */
export function serverExportingTo(endpoint: string, env: Record<string, string> = {}, args: string[] = []): Promise<TestServer> {
  return startServer({
    args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false", "--set", "telemetry.enabled=true", ...args],
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "100", ...env },
  });
}

/** One call (HealthCheck), so that the server has a span to export. */
export async function oneSpan(server: TestServer): Promise<void> {
  const client = createScriptEngineClient({ address: server.grpc, retry: false });
  try {
    await client.health();
  } finally {
    client.close();
  }
}

/** A data point of an OTLP/JSON metrics export. */
export interface ExportedPoint {
  attributes: { key: string; value: { stringValue?: string } }[];
  asInt?: string | number;
  asDouble?: number;
}
interface ExportedMetric { name: string; sum?: { dataPoints: ExportedPoint[] }; gauge?: { dataPoints: ExportedPoint[] } }

/** The data points of the counter or gauge `name` in the last metrics export the collector got. */
export function lastExported(collector: OtlpCollector, name: string): ExportedPoint[] {
  const body = collector.received.filter((r) => r.path === "/v1/metrics").at(-1)?.body;
  if (body === undefined) return [];
  const doc = JSON.parse(body) as { resourceMetrics: { scopeMetrics: { metrics: ExportedMetric[] }[] }[] };
  return doc.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics)).filter((m) => m.name === name).flatMap((m) => (m.sum ?? m.gauge)!.dataPoints);
}

/** A point's value, and its attribute `key`. */
export const valueOf = (p: ExportedPoint): number => Number(p.asInt ?? p.asDouble);
export const attributeOf = (p: ExportedPoint, key: string): string | undefined => p.attributes.find((a) => a.key === key)?.value.stringValue;
