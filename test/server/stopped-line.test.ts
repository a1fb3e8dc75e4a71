// The server's last line, "stopped": what a throttle still held for its window's end is written
// before it (an unref'd timer never fires in a process that exits), and the line itself says how the
// server stopped (the signal), how long it ran, how many executions it served and whether the drain
// ended within server.shutdown_grace or cut executions short, as "listening" says where it listened.
import { afterEach, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { untilMetrics } from "../helpers/until.ts";

type Line = Record<string, unknown>;
const linesOf = (s: TestServer): Line[] => s.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Line);

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

it("a clamp line dropped within its window is written at SIGTERM, before 'stopped', which names the signal and what was served", async () => {
  server = await startServer({ toml: `[auth]\non_excess = "clamp"\n${principalsToml({ name: "u" })}` });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const asked = { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } };
  // One warn line a minute per principal: the first is written, the next two are held for the window's end.
  for (let i = 1; i <= 3; i++) {
    const { result } = await scripts.runScript({ source: "1", context: { ...asked, executionId: `clamped-${i}` } }, bearer(tokenOf("u")));
    expect(result?.success).toBe(true);
  }
  expect(await server.stop("SIGTERM")).toBe(0);
  const lines = linesOf(server);
  const clamped = lines.filter((l) => l.msg === "request clamped to its principal's rights");
  expect(clamped.map((l) => [l.execution_id, l.similar_dropped])).toEqual([["clamped-1", 0], ["clamped-3", 1]]);
  const stopped = lines.findIndex((l) => l.msg === "stopped");
  expect(stopped).toBe(lines.length - 1);
  expect(lines.indexOf(clamped[1]!)).toBeLessThan(stopped);
  expect(lines[stopped]).toMatchObject({ level: "info", signal: "SIGTERM", executions: 3, drained: true, executions_cut: 0 });
  expect(lines[stopped]!.uptime_ms).toBeGreaterThan(0);
}, 60_000);

it("a drain the grace cut short says so in 'stopped', with the executions it stopped and the signal", async () => {
  server = await startServer({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=1s"] });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  await scripts.runScript({ source: "1" });
  // Its caller is told ENGINE_STOPPED at the grace's end (stop-at-grace.test.ts checks that).
  const running = scripts.runScript({ source: "export default () => { const t = Date.now(); while (Date.now() - t < 20000); return 1; }" }).catch(() => undefined);
  await untilMetrics(scripts, "the busy execution runs", (m) => m.busyIsolates === 1n);
  expect(await server.stop("SIGINT")).toBe(0);
  await running;
  const stopped = linesOf(server).find((l) => l.msg === "stopped");
  expect(stopped).toMatchObject({ level: "info", signal: "SIGINT", drained: false, executions_cut: 1 });
  expect(stopped!.executions).toBeGreaterThanOrEqual(1);
}, 60_000);
