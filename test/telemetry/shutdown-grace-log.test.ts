// The log of a shutdown whose grace runs out: the callers of executions still running get
// UNAVAILABLE ENGINE_STOPPED, and the operator one warn line naming server.shutdown_grace and how
// many executions it stopped (the log said nothing between "shutdown requested" and "stopped").
import { expect, it } from "vitest";
import { createScriptEngineClient, SecurityLevel, UnavailableError } from "../../clients/ts/src/index.ts";
import { startServer } from "../helpers/server.ts";
import { untilMetrics } from "../helpers/until.ts";

it("a shutdown whose grace ends with executions running says so in one line", async () => {
  const server = await startServer({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=1s", "--set", "discovery.enabled=false"] });
  const client = createScriptEngineClient({ address: server.grpc, retry: false });
  try {
    const run = client.run("export default () => { for (;;) {} }", {}, { context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } });
    run.catch(() => undefined);
    await untilMetrics(client.scripts, "the busy loop runs on the worker", (m) => m.busyIsolates === 1n);
    server.proc.kill("SIGTERM");
    await expect(run).rejects.toBeInstanceOf(UnavailableError);
    expect(await server.stop()).toBe(0);
    const lines = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const graceEnded = lines.filter((l) => String(l.msg).startsWith("server.shutdown_grace ended"));
    expect(graceEnded).toHaveLength(1);
    expect(graceEnded[0]).toMatchObject({ level: "warn", key: "server.shutdown_grace", grace_ms: 1000, executions: 1 });
  } finally {
    client.close();
    await server.stop("SIGKILL");
  }
}, 60_000);
