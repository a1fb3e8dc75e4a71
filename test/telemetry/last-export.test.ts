// The final export at shutdown carries every instrument: those read from the engine at each
// collection (worker restarts, cache, queue, isolates) were unregistered before it, so it held none
// of them, and what they counted since the previous periodic export (a minute by default: the worker
// restarts that led to the shutdown) never reached the collector.
import { expect, it } from "vitest";
import { createScriptEngineClient, SecurityLevel, UnavailableError } from "../../clients/ts/src/index.ts";
import { attributeOf, lastExported, otlpCollector, serverExportingTo, valueOf } from "../helpers/otlp-collector.ts";
import { childPids } from "../helpers/procs.ts";
import { untilMetrics } from "../helpers/until.ts";

it("a worker restart just before SIGTERM is in the last export, with the other figures read from the engine", async () => {
  const collector = await otlpCollector();
  const server = await serverExportingTo(`http://127.0.0.1:${collector.port}`, { OTEL_TRACES_EXPORTER: "none", OTEL_METRIC_EXPORT_INTERVAL: "600000" });
  const client = createScriptEngineClient({ address: server.grpc, retry: false });
  try {
    const run = client.run("export default () => { for (;;) {} }", {}, { context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } });
    run.catch(() => undefined);
    await untilMetrics(client.scripts, "the busy loop runs on the worker", (m) => m.busyIsolates === 1n);
    for (const pid of childPids(server.proc.pid!)) process.kill(pid, "SIGKILL");
    await expect(run).rejects.toBeInstanceOf(UnavailableError);
    expect(await server.stop()).toBe(0);
    expect(lastExported(collector, "scriptengine.worker.restarts").map(valueOf)).toEqual([1]);
    expect(lastExported(collector, "scriptengine.queue.length").map(valueOf)).toEqual([0]);
    expect(lastExported(collector, "scriptengine.cache.misses").map(valueOf)).toEqual([1]);
    expect(lastExported(collector, "scriptengine.pool.isolates").map((p) => attributeOf(p, "state")).sort()).toEqual(["busy", "idle", "parked"]);
  } finally {
    client.close();
    await server.stop("SIGKILL");
    collector.close();
  }
}, 60_000);
