// The engine's own time, apart from the RPC's (which holds the queue wait, a host-side compile and
// the response too): scriptengine.run.duration by outcome and level, scriptengine.queue.wait by
// level, read from the Prometheus endpoint of a real server after a known set of executions.
import { expect, it } from "vitest";
import { createScriptEngineClient, SecurityLevel } from "../../clients/ts/src/index.ts";
import { freePort } from "../helpers/ports.ts";
import { startServer } from "../helpers/server.ts";

it("counts each run's duration by outcome and level, and each wait for a worker", async () => {
  const port = await freePort();
  const server = await startServer({ args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false", "--set", "telemetry.enabled=true", "--set", "telemetry.otlp=false", "--set", `telemetry.prometheus_address=127.0.0.1:${port}`] });
  const client = createScriptEngineClient({ address: server.grpc, retry: false });
  try {
    await client.run("export default async () => { await new Promise((r) => setTimeout(r, 200)); return 1 }");
    await client.run("1 + 1");
    await client.run("2 + 2", {}, { context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } });
    expect((await client.runScript("throw new Error('no')")).success).toBe(false);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const series = (name: string) =>
      Object.fromEntries([...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm"))].map((m) => [m[1]!.replace(/,?otel_scope_name="[^"]*"/, ""), Number(m[2])]));
    expect(series("scriptengine_run_duration_count")).toEqual({
      'scriptengine_outcome="success",scriptengine_security_level="safe"': 2,
      'scriptengine_outcome="success",scriptengine_security_level="development"': 1,
      'scriptengine_outcome="script_threw",scriptengine_security_level="safe"': 1,
    });
    // The run that waited 200 ms on its timer took about that at least (a timer may fire a millisecond early).
    expect(series("scriptengine_run_duration_sum")['scriptengine_outcome="success",scriptengine_security_level="safe"']).toBeGreaterThanOrEqual(0.19);
    expect(series("scriptengine_queue_wait_count")).toEqual({ 'scriptengine_security_level="safe"': 3, 'scriptengine_security_level="development"': 1 });
  } finally {
    client.close();
    expect(await server.stop()).toBe(0);
  }
}, 60_000);
