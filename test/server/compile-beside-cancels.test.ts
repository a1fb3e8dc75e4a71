// A compilation waiting on a worker that another caller's cancelled script takes down (the worker
// is replaced to stop it) compiles again elsewhere: it failed WORKER_CRASHED once two such cancels
// came in a row, and CompileScript is not retried by the SDKs.
// Each step waits for what the server reports (GetMetrics), never for a sleep to be long enough.
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { untilMetrics } from "../helpers/until.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] }, { checkExit: false });

// Holds its worker's thread until the worker is replaced to stop it (a cancel cannot reach it there):
// its 120 s limit never comes first, however slow the machine.
const BUSY = { source: "while (true) {}", context: { timeout: durationFromMs(120_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } };

it("a compile behind two cancelled scripts of another caller still compiles", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const first = new AbortController();
  const second = new AbortController();
  const r1 = scripts.runScript(BUSY, { signal: first.signal }).catch(() => {});
  let r2: Promise<unknown> | undefined;
  try {
    const running = await untilMetrics(scripts, "the first script runs", (m) => m.busyIsolates === 1n);
    const compile = scripts.compileScript({ source: "export default () => 'compiled'", context: { scriptId: "beside-cancels" } });
    // Counted as it is sent to the one worker, where it waits behind the first script.
    await untilMetrics(scripts, "the compile was sent to the worker", (m) => m.totalCompilations === running.totalCompilations + 1n);
    r2 = scripts.runScript(BUSY, { signal: second.signal }).catch(() => {});
    await untilMetrics(scripts, "the second script is queued", (m) => m.queueLength === 1n);
    first.abort(); // the worker holding the compile is replaced
    // The replacement takes the queued script the moment it is ready, and the compile (which polls
    // for a ready worker) right after, long before the second cancel's grace can end.
    await untilMetrics(scripts, "the second script runs on the replacement", (m) => m.workerRestarts === 1n && m.queueLength === 0n && m.busyIsolates === 1n);
    second.abort(); // and that worker is replaced too
    const compiled = await compile;
    expect(compiled.script?.version).toBe(1);
    await Promise.all([r1, r2]);
    // Both cancels took a worker down under the compile, unless the second reached the replacement
    // before its script began to spin (a loaded machine): that one then stopped without a replacement.
    expect([1n, 2n]).toContain((await scripts.getMetrics({})).metrics?.workerRestarts);
    expect((await scripts.executeScript({ scriptId: "beside-cancels" })).result?.returnValue?.kind.value).toBe("compiled");
  } finally {
    first.abort();
    second.abort();
    await Promise.all([r1, r2]);
  }
}, 120_000);
