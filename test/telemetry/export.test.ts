// Telemetry of a real server process started with `scriptengine serve`: configured by the config
// keys and the standard OTEL_* variables, it exports spans and metrics over OTLP (http/json here,
// to a receiver in this test) and serves a Prometheus scrape endpoint.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptEngineClient } from "../../clients/ts/src/index.ts";
import { ROOT, runServerExpectingExit } from "../helpers/server.ts";
import { freePort } from "../helpers/ports.ts";

const received: { path: string; body: string }[] = [];
let collector: Server;
let proc: ChildProcess;
let grpc = "";
let promPort = 0;
let exited: Promise<number | null>;

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      received.push({ path: req.url ?? "", body });
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  const otlpPort = (collector.address() as { port: number }).port;
  promPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-otlp-"));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("SCRIPTENGINE_") && !k.startsWith("OTEL_")) env[k] = v;
  Object.assign(env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_METRIC_EXPORT_INTERVAL: "500",
    OTEL_SERVICE_NAME: "engine-under-test",
  });
  proc = spawn(
    process.execPath,
    [join(ROOT, "src/cli/scriptengine.js"), "serve", "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir,
      "--set", "pool.workers=1", "--set", "telemetry.enabled=true", "--set", `telemetry.prometheus_address=127.0.0.1:${promPort}`],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  exited = new Promise((r) => proc.once("exit", r));
  grpc = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.listening) resolve(msg.listening.grpc);
      } catch {
        /* not ours */
      }
    });
    void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
});

afterAll(async () => {
  if (proc && proc.exitCode === null) proc.kill("SIGTERM");
  await exited;
  collector?.close();
});

const TRACE = "0af7651916cd43dd8448eb211c80319c";

async function until<T>(fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("exporters", () => {
  it("spans go out over OTLP with the caller's trace id, metrics too", async () => {
    const c = createScriptEngineClient({ address: grpc, headers: { traceparent: `00-${TRACE}-b7ad6b7169203331-01` } });
    expect(await c.run("export default () => 'traced'")).toBe("traced");
    c.close();
    const traces = await until(() => received.find((r) => r.path === "/v1/traces" && r.body.includes("RunScript")));
    const doc = JSON.parse(traces.body);
    const spans = doc.resourceSpans.flatMap((rs: { scopeSpans: { spans: unknown[] }[] }) => rs.scopeSpans.flatMap((s) => s.spans)) as { name: string; traceId: string; parentSpanId: string }[];
    const rpc = spans.find((s) => s.name === "scriptengine.v1.ScriptService/RunScript")!;
    expect(rpc.traceId).toBe(TRACE);
    expect(rpc.parentSpanId).toBe("b7ad6b7169203331");
    expect(JSON.stringify(doc.resourceSpans[0].resource)).toContain("engine-under-test");
    const metricsDoc = await until(() => received.find((r) => r.path === "/v1/metrics" && r.body.includes("rpc.server.call.duration")));
    expect(metricsDoc.body).toContain("scriptengine.executions");
  });

  it("the Prometheus endpoint serves the same instruments", async () => {
    const text = await (await fetch(`http://127.0.0.1:${promPort}/metrics`)).text();
    expect(text).toMatch(/rpc_server_call_duration_count\{rpc_system_name="grpc",rpc_method="scriptengine.v1.ScriptService\/RunScript",rpc_status_code="OK",[^}]*\} [1-9]/);
    expect(text).toMatch(/scriptengine_executions_total\{scriptengine_outcome="success",scriptengine_security_level="safe",[^}]*\} [1-9]/);
    expect(text).toMatch(/scriptengine_cache_misses_total\{[^}]*\} [1-9]/);
    expect(text).toMatch(/scriptengine_pool_isolates\{state="idle",[^}]*\} 1/);
    expect(text).toMatch(/scriptengine_queue_length\{[^}]*\} 0/);
    expect(text).toMatch(/scriptengine_events_subscribers\{[^}]*\} 0/);
  });

  it("SIGTERM flushes and exits 0", async () => {
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

describe("a Prometheus address that cannot be bound", () => {
  it("stops the server with one line naming telemetry.prometheus_address (it was silently left without an endpoint)", async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", r));
    const busy = `127.0.0.1:${(holder.address() as { port: number }).port}`;
    try {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("SCRIPTENGINE_") && !k.startsWith("OTEL_")) env[k] = v;
      const { code, stderr } = await runServerExpectingExit(
        ["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", mkdtempSync(join(tmpdir(), "se-prom-")), "--set", "telemetry.enabled=true", "--set", `telemetry.prometheus_address=${busy}`],
        env,
      );
      expect(code).toBe(1);
      expect(stderr.split("\n").filter((l) => l.startsWith("scriptengine:"))).toEqual([`scriptengine: cannot listen on ${busy} (telemetry.prometheus_address): the address is already in use`]);
    } finally {
      holder.close();
    }
  });
});

describe("a collector that never answers", () => {
  it("does not hold shutdown: the last flush is cut short, said in the log, and the process exits 0", async () => {
    const { createServer: createTcpServer } = await import("node:net");
    const hung = createTcpServer((s) => s.on("data", () => {})); // accepts, never answers
    await new Promise<void>((r) => hung.listen(0, "127.0.0.1", r));
    const port = (hung.address() as { port: number }).port;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("SCRIPTENGINE_") && !k.startsWith("OTEL_")) env[k] = v;
    Object.assign(env, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "60000" });
    const child = spawn(process.execPath, [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", mkdtempSync(join(tmpdir(), "se-hung-otlp-")), "--set", "telemetry.enabled=true", "--set", "pool.workers=1"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const ended = new Promise<number | null>((r) => child.once("exit", r));
    try {
      const address = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).on("line", (l) => l.includes("listening") && resolve(JSON.parse(l).listening.grpc)));
      const c = createScriptEngineClient({ address });
      expect(await c.run("1 + 1")).toBe(2); // a span waits in the exporter
      c.close();
      child.kill("SIGTERM");
      expect(await ended).toBe(0);
      expect(stderr).toMatch(/"msg":"telemetry flush cut short/);
    } finally {
      child.kill("SIGKILL");
      hung.close();
    }
  }, 30_000);
});
