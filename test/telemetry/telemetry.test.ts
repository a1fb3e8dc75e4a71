// OpenTelemetry through a real server started in this process (so an in-memory exporter and a
// manual metric reader can see what it records): a server span per RPC on both doors with the
// RPC semantic conventions, the caller's trace continued from traceparent, engine child spans
// (queue wait, compile with cache hit/miss, run, tool calls), the http tool passing the trace
// on, and metric values.
import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { MetricReader, type DataPoint, type Histogram, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/index.ts";
import { createScriptEngineClient, SecurityLevel, type ScriptEngineClient } from "../../clients/ts/src/index.ts";

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new TestReader();
let telemetry: Telemetry;
let server: RunningServer;
let web: Server;
let webPort = 0;
const seenTraceparents: string[] = [];

beforeAll(async () => {
  web = createServer((req, res) => {
    seenTraceparents.push(String(req.headers.traceparent ?? ""));
    res.end("ok");
  });
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  webPort = (web.address() as { port: number }).port;
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-otel-"));
  const { config } = loadConfig({
    env: {},
    argv: ["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--set", "pool.workers=1", "--set", "telemetry.enabled=true", "--set", "discovery.enabled=false"],
  });
  const log = createLogger("silent", {});
  telemetry = (await startTelemetry(config.telemetry, log, { spanProcessors: [new SimpleSpanProcessor({ exporter: spans })], metricReaders: [reader] }))!;
  expect(telemetry).toBeDefined();
  server = await startServer(config, log, { telemetry });
});

afterAll(async () => {
  await server?.close();
  await telemetry?.shutdown();
  web?.close();
});

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const traceparent = (trace: string) => ({ traceparent: `00-${trace}-${PARENT}-01` });

function client(kind: "grpc-js" | "connect", trace: string): ScriptEngineClient {
  return createScriptEngineClient({
    transport: kind,
    address: kind === "grpc-js" ? server.grpcAddress : server.httpAddress,
    headers: traceparent(trace),
    retry: false,
  });
}

const inTrace = (trace: string) => spans.getFinishedSpans().filter((s) => s.spanContext().traceId === trace);
const named = (list: ReadableSpan[], name: string) => list.filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

async function settle(trace: string, name: string): Promise<ReadableSpan[]> {
  // The server span ends right after the response is sent.
  for (let i = 0; i < 50 && named(inTrace(trace), name).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  return inTrace(trace);
}

describe("traces", () => {
  it("a RunScript over grpc-js: server span continuing the caller's trace, with compile, queue wait and run children", async () => {
    const trace = "1".repeat(31) + "a";
    const c = client("grpc-js", trace);
    expect(await c.run("export default () => 40 + 2")).toBe(42);
    c.close();
    const list = await settle(trace, "scriptengine.v1.ScriptService/RunScript");
    const [rpc] = named(list, "scriptengine.v1.ScriptService/RunScript");
    expect(rpc.kind).toBe(SpanKind.SERVER);
    expect(parentOf(rpc)).toBe(PARENT);
    expect(rpc.attributes).toMatchObject({ "rpc.system.name": "grpc", "rpc.method": "scriptengine.v1.ScriptService/RunScript", "rpc.status_code": "OK" });
    expect(rpc.status.code).toBe(SpanStatusCode.UNSET);
    const id = rpc.spanContext().spanId;

    const compiles = named(list, "scriptengine.compile");
    const hostCompile = compiles.find((s) => parentOf(s) === id)!;
    expect(hostCompile.attributes["scriptengine.cache.hit"]).toBe(false);
    const [queue] = named(list, "scriptengine.queue_wait");
    const [run] = named(list, "scriptengine.run");
    expect(parentOf(queue)).toBe(id);
    expect(parentOf(run)).toBe(id);
    // A new source compiled for this very call: no cache hit, though the run then finds it compiled.
    expect(run.attributes).toMatchObject({ "scriptengine.outcome": "success", "scriptengine.security_level": "safe", "scriptengine.cache.hit": false });
    const workerCompile = compiles.find((s) => parentOf(s) === run.spanContext().spanId)!;
    expect(workerCompile.attributes["scriptengine.cache.hit"]).toBe(false);
    // The queue wait ends where the run starts; all lie inside the RPC span (one clock per call).
    const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    expect(ns(queue.endTime)).toBe(ns(run.startTime));
    for (const child of [hostCompile, queue, run]) {
      expect(ns(child.startTime)).toBeGreaterThanOrEqual(ns(rpc.startTime));
      expect(ns(child.endTime)).toBeLessThanOrEqual(ns(rpc.endTime));
    }
    expect(ns(workerCompile.startTime)).toBeGreaterThanOrEqual(ns(run.startTime));
    expect(ns(workerCompile.endTime)).toBeLessThanOrEqual(ns(run.endTime));
  });

  it("the Connect door makes the same span, as connectrpc; a caller error keeps the span status unset", async () => {
    const trace = "2".repeat(31) + "b";
    const c = client("connect", trace);
    await expect(c.execute("no-such-script")).rejects.toThrow(/not found/);
    const list = await settle(trace, "scriptengine.v1.ScriptService/ExecuteScript");
    const [rpc] = named(list, "scriptengine.v1.ScriptService/ExecuteScript");
    expect(parentOf(rpc)).toBe(PARENT);
    expect(rpc.attributes).toMatchObject({ "rpc.system.name": "connectrpc", "rpc.status_code": "NOT_FOUND" });
    expect(rpc.status.code).toBe(SpanStatusCode.UNSET);
    expect(rpc.attributes["error.type"]).toBeUndefined();
  });

  it("a server-side failure (DEADLINE_EXCEEDED: the script's time limit) marks the span as an error", async () => {
    const trace = "3".repeat(31) + "c";
    const c = client("grpc-js", trace);
    await expect(c.run("for (;;) {}", {}, { context: { timeout: { seconds: 0n, nanos: 200_000_000 } } })).rejects.toThrow();
    c.close();
    const list = await settle(trace, "scriptengine.v1.ScriptService/RunScript");
    const [rpc] = named(list, "scriptengine.v1.ScriptService/RunScript");
    expect(rpc.attributes).toMatchObject({ "rpc.status_code": "DEADLINE_EXCEEDED", "error.type": "DEADLINE_EXCEEDED" });
    expect(rpc.status.code).toBe(SpanStatusCode.ERROR);
    const [run] = named(list, "scriptengine.run");
    expect(run.attributes["scriptengine.outcome"]).toBe("timeout");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("a caller's deadline passing is recorded as DEADLINE_EXCEEDED, not CANCELLED", async () => {
    const trace = "3".repeat(31) + "d";
    const c = client("grpc-js", trace);
    await expect(c.run("export default () => new Promise(() => {})", {}, { timeoutMs: 1000 })).rejects.toThrow();
    c.close();
    const list = await settle(trace, "scriptengine.v1.ScriptService/RunScript");
    const [rpc] = named(list, "scriptengine.v1.ScriptService/RunScript");
    expect(rpc.attributes).toMatchObject({ "rpc.status_code": "DEADLINE_EXCEEDED", "error.type": "DEADLINE_EXCEEDED" });
    expect(rpc.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("a tool call is a child of the run, and the http tool sends the trace on", async () => {
    const trace = "4".repeat(31) + "d";
    const c = client("grpc-js", trace);
    const source = `export default async (args, ctx) => (await ctx.tools.http({ url: "http://127.0.0.1:${webPort}/x" })).status`;
    const value = await c.run(source, {}, { context: { availableTools: ["http"], securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } });
    c.close();
    expect(value).toBe(200);
    const list = await settle(trace, "scriptengine.v1.ScriptService/RunScript");
    const [run] = named(list, "scriptengine.run");
    const [tool] = named(list, "scriptengine.tool http");
    expect(parentOf(tool)).toBe(run.spanContext().spanId);
    expect(tool.attributes["scriptengine.tool.name"]).toBe("http");
    expect(run.attributes["scriptengine.security_level"]).toBe("development");
    expect(seenTraceparents.at(-1)).toBe(`00-${trace}-${tool.spanContext().spanId}-01`);
  });

  it("a server stream (Subscribe) gets one span that ends when the caller leaves", async () => {
    const trace = "5".repeat(31) + "e";
    const c = client("grpc-js", trace);
    const ac = new AbortController();
    for await (const _ of c.subscribe({ signal: ac.signal, onStarted: () => ac.abort() })) break;
    c.close();
    const list = await settle(trace, "scriptengine.v1.EventService/Subscribe");
    const [rpc] = named(list, "scriptengine.v1.EventService/Subscribe");
    expect(rpc.attributes["rpc.system.name"]).toBe("grpc");
    expect(["OK", "CANCELLED"]).toContain(rpc.attributes["rpc.status_code"]);
  });
});

describe("metrics", () => {
  async function collect(): Promise<ResourceMetrics> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics;
  }
  const points = (rm: ResourceMetrics, name: string): DataPoint<unknown>[] =>
    rm.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]);

  it("records RPC durations, executions by outcome and level, cache, pool, queue and subscribers", async () => {
    const c = client("grpc-js", "6".repeat(32));
    await c.run("1 + 1");
    await c.run("1 + 1");
    await c.run("1 + 1");
    await c.runScript("throw new Error('boom')");
    c.close();
    const rm = await collect();

    const durations = points(rm, "rpc.server.call.duration") as DataPoint<Histogram>[];
    const runScript = durations.find((p) => p.attributes["rpc.method"] === "scriptengine.v1.ScriptService/RunScript" && p.attributes["rpc.system.name"] === "grpc" && p.attributes["rpc.status_code"] === "OK")!;
    expect(runScript.value.count).toBeGreaterThanOrEqual(3);
    expect(runScript.value.sum).toBeGreaterThan(0);
    const notFound = durations.find((p) => p.attributes["rpc.status_code"] === "NOT_FOUND" && p.attributes["rpc.system.name"] === "connectrpc");
    expect(notFound?.value.count).toBe(1);

    const executions = points(rm, "scriptengine.executions");
    const count = (outcome: string, level: string) =>
      executions.find((p) => p.attributes["scriptengine.outcome"] === outcome && p.attributes["scriptengine.security_level"] === level)?.value;
    expect(count("script_threw", "safe")).toBe(1);
    expect(count("timeout", "safe")).toBe(2); // the server-side and the caller-deadline tests above
    expect(count("success", "development")).toBe(1);
    expect(Number(count("success", "safe"))).toBeGreaterThanOrEqual(3);

    const single = (name: string) => points(rm, name)[0]?.value as number;
    expect(single("scriptengine.cache.hits")).toBeGreaterThanOrEqual(2);
    expect(single("scriptengine.cache.misses")).toBeGreaterThanOrEqual(2);
    expect(single("scriptengine.queue.length")).toBe(0);
    expect(single("scriptengine.isolate.recycles")).toBeGreaterThanOrEqual(0);
    expect(single("scriptengine.events.subscribers")).toBe(0);
    expect(single("scriptengine.store.bytes")).toBe(0); // RunScript stores nothing
    const isolates = points(rm, "scriptengine.pool.isolates");
    expect(isolates.find((p) => p.attributes.state === "busy")?.value).toBe(0);
    expect(isolates.find((p) => p.attributes.state === "idle")?.value).toBeGreaterThanOrEqual(1);
  });

  it("counts open event subscriptions", async () => {
    const c = client("grpc-js", "7".repeat(32));
    const ac = new AbortController();
    let started!: () => void;
    const ready = new Promise<void>((r) => (started = r));
    const sub = (async () => {
      for await (const _ of c.subscribe({ signal: ac.signal, onStarted: () => started() })) void _;
    })().catch(() => {});
    await ready;
    const rm = await collect();
    expect(points(rm, "scriptengine.events.subscribers")[0]?.value).toBe(1);
    ac.abort();
    await sub;
    c.close();
  });
});
