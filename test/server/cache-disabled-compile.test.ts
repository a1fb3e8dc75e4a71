// enable_caching = false through a real server (started in this process, so an in-memory span
// exporter sees the worker's compile of each run): repeated runs of the same source each compile
// it (a compile span with time spent, no cache hit) and still answer right. Whether the worker
// really compiled, rather than reusing a Script its isolate kept, is asserted at the worker
// (test/engine/no-script-cache.test.ts).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { loadConfig } from "../../src/config/load.ts";
import { createLogger } from "../../src/log.ts";
import { startServer, type RunningServer } from "../../src/server.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/index.ts";
import { createScriptEngineClient } from "../../clients/ts/src/index.ts";

const spans = new InMemorySpanExporter();
let telemetry: Telemetry;
let server: RunningServer;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-nocache-"));
  const { config } = loadConfig({
    env: {},
    argv: ["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--set", "pool.workers=1",
      "--set", "enable_caching=false", "--set", "telemetry.enabled=true", "--set", "discovery.enabled=false"],
  });
  const log = createLogger("silent", {});
  telemetry = (await startTelemetry(config.telemetry, log, { spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }))!;
  server = await startServer(config, log, { telemetry });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await telemetry?.shutdown();
}, 60_000);

const durationMs = (s: ReadableSpan) => s.duration[0] * 1e3 + s.duration[1] / 1e6;

it("each run of the same source compiles it in the worker, with no cache hit, and answers right", async () => {
  const c = createScriptEngineClient({ transport: "grpc-js", address: server.grpcAddress, retry: false });
  const source = "export default function main(a) { return a.n * 7 }";
  for (let n = 1; n <= 3; n++) expect(await c.run(source, { n })).toBe(n * 7);
  c.close();
  let workerCompiles: ReadableSpan[] = [];
  for (let i = 0; i < 50 && workerCompiles.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const all = spans.getFinishedSpans();
    const runs = new Set(all.filter((s) => s.name === "scriptengine.run").map((s) => s.spanContext().spanId));
    workerCompiles = all.filter((s) => s.name === "scriptengine.compile" && runs.has(s.parentSpanContext?.spanId ?? ""));
  }
  expect(workerCompiles).toHaveLength(3);
  for (const s of workerCompiles) {
    expect(s.attributes["scriptengine.cache.hit"]).toBe(false);
    expect(durationMs(s)).toBeGreaterThan(0);
  }
}, 60_000);
