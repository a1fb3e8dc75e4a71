// The "stopped" line when a SIGTERM comes during a Stop's drain: the Stop's grace ends first and cuts
// what runs, so the shutdown's own drain found nothing left, and the line said `drained: true,
// executions_cut: 0` although an execution was stopped (its caller told ENGINE_STOPPED) during the
// shutdown. It now counts what any grace's end stopped once the shutdown had begun.
import { afterEach, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { settle, until, untilMetrics } from "../helpers/until.ts";

type Line = Record<string, unknown>;
const linesOf = (s: TestServer): Line[] => s.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

it("a SIGTERM during a Stop's drain that then cuts an execution: 'stopped' says it was cut", async () => {
  // The Stop's grace is long enough for the SIGTERM to come well inside it.
  server = await startServer({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=3s"] });
  const s = server;
  const scripts = clientFor(ScriptService, "grpc-js", s);
  await scripts.runScript({ source: "1" });
  const running = failure(scripts.runScript({ source: "export default () => { const t = Date.now(); while (Date.now() - t < 30000); return 1; }" }));
  let stop: Promise<unknown> | undefined;
  try {
    // Running on the worker, not queued (a Stop refuses a queued one at once: nothing to cut).
    await untilMetrics(scripts, "the busy execution runs", (m) => m.busyIsolates === 1n);
    stop = scripts.stop({ reason: "maintenance" });
    await until("the Stop has begun its drain", () => linesOf(s).some((l) => l.msg === "engine stopped on request"));
    expect(await s.stop("SIGTERM")).toBe(0);
    const f = await running;
    expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    const lines = linesOf(s);
    // The Stop's grace cut it, after the SIGTERM.
    expect(lines.filter((l) => String(l.msg).startsWith("server.shutdown_grace ended")).map((l) => l.executions)).toEqual([1]);
    expect(lines.find((l) => l.msg === "stopped")).toMatchObject({ signal: "SIGTERM", drained: false, executions_cut: 1 });
  } finally {
    await settle([running, ...(stop ? [stop] : [])]);
  }
}, 60_000);
