// What the http tool passes on of the caller's trace headers, with telemetry on: the W3C
// traceparent only. The caller's baggage and tracestate (often a gateway's user ids, tenant and
// account ids) must not reach the hosts a script calls, and such headers the script sets itself
// are sent as it set them. OTEL_PROPAGATORS is neither obeyed nor rewritten in process.env.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/index.ts";
import { createScriptEngineClient, SecurityLevel } from "../../clients/ts/src/index.ts";

const spans = new InMemorySpanExporter();
let telemetry: Telemetry;
let server: RunningServer;
let target: Server;
let targetPort = 0;
const seen: IncomingHttpHeaders[] = [];
// Asks for baggage: it must not be obeyed, nor replaced in the environment workers inherit.
const PROPAGATORS = "baggage,tracecontext";
const savedPropagators = process.env.OTEL_PROPAGATORS;

beforeAll(async () => {
  target = createServer((req, res) => {
    seen.push(req.headers);
    res.end("ok");
  });
  await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
  targetPort = (target.address() as { port: number }).port;
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-propagation-"));
  const { config } = loadConfig({
    env: {},
    argv: ["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--set", "pool.workers=1", "--set", "telemetry.enabled=true", "--set", "discovery.enabled=false"],
  });
  const log = createLogger("silent", {});
  process.env.OTEL_PROPAGATORS = PROPAGATORS;
  telemetry = (await startTelemetry(config.telemetry, log, { spanProcessors: [new SimpleSpanProcessor({ exporter: spans })], metricReaders: [] }))!;
  server = await startServer(config, log, { telemetry });
});

afterAll(async () => {
  await server?.close();
  await telemetry?.shutdown();
  target?.close();
  if (savedPropagators === undefined) delete process.env.OTEL_PROPAGATORS;
  else process.env.OTEL_PROPAGATORS = savedPropagators;
});

it("process.env.OTEL_PROPAGATORS is left as it was", () => {
  expect(process.env.OTEL_PROPAGATORS).toBe(PROPAGATORS);
});

const TRACE = "9".repeat(31) + "f";

it.each(["grpc-js", "connect"] as const)("over %s: the caller's baggage and tracestate stay here, the script's own and the trace go on", async (transport) => {
  const c = createScriptEngineClient({
    transport,
    address: transport === "grpc-js" ? server.grpcAddress : server.httpAddress,
    headers: { traceparent: `00-${TRACE}-00f067aa0ba902b7-01`, tracestate: "vendor=tenant-42", baggage: "user.secret=hunter2,tenant=acme" },
    retry: false,
  });
  const url = `http://127.0.0.1:${targetPort}/x`;
  const source = `export default async (args, ctx) => [
    (await ctx.tools.http({ url: "${url}" })).status,
    (await ctx.tools.http({ url: "${url}", headers: { baggage: "mine=1", tracestate: "script=2", traceparent: "00-${"1".repeat(32)}-${"2".repeat(16)}-01" } })).status,
  ]`;
  const value = await c.run(source, {}, { context: { availableTools: ["http"], securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } });
  c.close();
  expect(value).toEqual([200, 200]);
  const [plain, own] = seen.splice(0);
  expect([plain.baggage, plain.tracestate]).toEqual([undefined, undefined]);
  expect([own.baggage, own.tracestate]).toEqual(["mine=1", "script=2"]);
  const tools = spans.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE && s.name === "scriptengine.tool http");
  expect(tools).toHaveLength(2);
  // The caller's trace goes on, naming the tool's span (a traceparent the script set is replaced).
  for (const [i, headers] of [plain, own].entries()) expect(headers.traceparent).toBe(`00-${TRACE}-${tools[i]!.spanContext().spanId}-01`);
  spans.reset();
});
