// scriptengine.executions by outcome, read as an operator does (the Prometheus endpoint of a real
// server, and the last OTLP export at shutdown): an execution that ran on a worker but could not
// finish is counted by what ended it, never as "rejected", which is for executions that never ran.
// It was counted "rejected" when its worker was killed under it and when a shutdown's grace ended it.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createScriptEngineClient, SecurityLevel, UnavailableError, type ScriptEngineClient } from "../../clients/ts/src/index.ts";
import { attributeOf, lastExported, otlpCollector, serverExportingTo, valueOf, type OtlpCollector } from "../helpers/otlp-collector.ts";
import { freePort } from "../helpers/ports.ts";
import { childPids } from "../helpers/procs.ts";
import type { TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const BUSY = "export default () => { for (;;) {} }";
const DEVELOPMENT = { context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } };

let collector: OtlpCollector;
let server: TestServer;
let client: ScriptEngineClient;
let prometheus = "";

beforeAll(async () => {
  collector = await otlpCollector();
  const promPort = await freePort();
  prometheus = `http://127.0.0.1:${promPort}/metrics`;
  server = await serverExportingTo(
    `http://127.0.0.1:${collector.port}`,
    { OTEL_TRACES_EXPORTER: "none", OTEL_METRIC_EXPORT_INTERVAL: "600000" }, // only the flush at shutdown
    ["--set", "server.shutdown_grace=1s", "--set", `telemetry.prometheus_address=127.0.0.1:${promPort}`],
  );
  client = createScriptEngineClient({ address: server.grpc, retry: false });
}, 30_000);

afterAll(async () => {
  client?.close();
  await server?.stop("SIGKILL");
  collector?.close();
});

const scrape = async () => (await fetch(prometheus)).text();
const executions = (text: string) =>
  Object.fromEntries([...text.matchAll(/^scriptengine_executions_total\{scriptengine_outcome="([a-z_]+)"[^}]*\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));

/** scriptengine.executions by outcome in the last export. */
const exportedExecutions = () => Object.fromEntries(lastExported(collector, "scriptengine.executions").map((p) => [attributeOf(p, "scriptengine.outcome"), valueOf(p)]));
const running = async () => /^scriptengine_pool_isolates\{state="busy"[^}]*\} 1$/m.test(await scrape());

it("a run whose worker is killed under it is worker_crashed", async () => {
  const run = client.run(BUSY, {}, DEVELOPMENT);
  run.catch(() => undefined);
  await until("the busy loop runs on the worker", running);
  for (const pid of childPids(server.proc.pid!)) process.kill(pid, "SIGKILL");
  await expect(run).rejects.toBeInstanceOf(UnavailableError);
  expect(executions(await scrape())).toEqual({ worker_crashed: 1 });
}, 30_000);

it("a run stopped at the end of the shutdown grace is engine_stopped, in the last export", async () => {
  await until("a worker is back", async () => /^scriptengine_pool_isolates\{state="idle"[^}]*\} 1$/m.test(await scrape()));
  const run = client.run(BUSY, {}, DEVELOPMENT);
  run.catch(() => undefined);
  await until("the busy loop runs on the worker", running);
  server.proc.kill("SIGTERM");
  await expect(run).rejects.toThrow(/end of the grace/);
  expect(await server.stop()).toBe(0);
  expect(exportedExecutions()).toEqual({ worker_crashed: 1, engine_stopped: 1 });
}, 30_000);
