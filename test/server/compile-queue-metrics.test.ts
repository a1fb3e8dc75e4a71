// The compile queue (new sources waiting for a worker's compiler, bounded by pool.max_queue) is in
// GetMetrics and the OpenTelemetry metrics, not only in HealthCheck's message: an operator whose
// CompileScript calls are refused QUEUE_FULL (compile_queue) can watch it fill and drain.
// Each step waits for what the server reports, never for a sleep to be long enough.
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { freePort } from "../helpers/ports.ts";
import { settle, until, untilMetrics } from "../helpers/until.ts";

const promPort = await freePort();
// Prometheus alone: no OTLP exporter trying to reach a collector that is not there.
const otel = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OTEL_")).map((k) => [k, ""]));
const server = serverForTests(
  {
    toml: `[telemetry]\nenabled = true\notlp = false\nprometheus_address = "127.0.0.1:${promPort}"\n`,
    args: ["--set", "pool.workers=1", "--set", "pool.max_queue=2"],
    env: otel,
  },
  { checkExit: false },
);

// Holds the one worker's thread (compiles wait behind it) until its worker is replaced to stop it.
const BUSY = { source: "while (true) {}", context: { timeout: durationFromMs(120_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } };

/** The compile-queue gauge's samples as Prometheus serves them, by state. */
async function promCompileQueue(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${promPort}/metrics`)).text();
  const samples: Record<string, number> = {};
  for (const m of text.matchAll(/^scriptengine_compile_queue_length\{[^}]*state="(\w+)"[^}]*\} (\S+)/gm)) samples[m[1]!] = Number(m[2]);
  return samples;
}

const untilProm = (what: string, waited: number, abandoned: number) =>
  until(what, async () => {
    const q = await promCompileQueue();
    return q.waited === waited && q.abandoned === abandoned;
  }, { seen: promCompileQueue });

it("GetMetrics and Prometheus count the compilations waiting and those whose callers left", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const busy = new AbortController();
  const leaving = new AbortController();
  const held = scripts.runScript(BUSY, { signal: busy.signal }).catch(() => {});
  const compiles: Promise<unknown>[] = [];
  try {
    await untilMetrics(scripts, "the busy script runs", (m) => m.busyIsolates === 1n);
    const staying = scripts.compileScript({ source: "export default () => 'stays'", context: { scriptId: "stays" } });
    // A RunScript's compile is left by its caller when the call ends (a CompileScript's goes on, to be announced).
    compiles.push(staying, scripts.runScript({ source: "export default () => 'leaves'" }, { signal: leaving.signal }).catch(() => {}));
    const full = await untilMetrics(scripts, "both compilations wait", (m) => m.compileQueueLength === 2n);
    expect(full.abandonedCompilations).toBe(0n);
    await untilProm("Prometheus shows them", 2, 0);

    leaving.abort();
    const left = await untilMetrics(scripts, "one caller left", (m) => m.abandonedCompilations === 1n);
    expect(left.compileQueueLength).toBe(1n);
    await untilProm("Prometheus shows the one left", 1, 1);

    busy.abort(); // the worker is replaced to stop the busy script; the staying compile compiles on the next
    expect((await staying).script?.version).toBe(1);
    const drained = await untilMetrics(scripts, "the queue drained", (m) => m.compileQueueLength === 0n && m.abandonedCompilations === 0n);
    expect(drained.totalCompilations).toBeGreaterThanOrEqual(2n);
  } finally {
    busy.abort();
    leaving.abort();
    await settle([held, ...compiles]);
  }
}, 120_000);
