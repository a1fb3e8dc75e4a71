// A TIMEOUT set by the call's deadline: its ErrorInfo timeout_ms is a whole number, the figure its
// message names (what is left of a deadline, less a tenth, had fractions: "876.6" beside "877 ms"),
// and after RunScript waited for its source to compile, the message calls the wall limit what was
// left of the deadline, not "the call's N ms deadline" (the call's deadline was longer).
import { ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { scriptCallContext } from "../helpers/handler-context.ts";
import { scriptsService } from "../../src/api/scripts.ts";
import { loadConfig } from "../../src/config/load.ts";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { cpuBudgetMs, type ExecuteJob, type ExecutionOutcome } from "../../src/engine/index.ts";

/**
 * RunScript of a script stopped by its CPU share (or the wall clock), on a call with `leftMs` of its deadline; its
 * source was found compiled, compiled at once, or compiled after that many ms (waiting for a compiler included).
 */
async function timeoutOf(leftMs: number, compile: "cached" | "fresh" | number, limit: "cpu_time" | "wall_clock" = "cpu_time") {
  const engine = {
    // "fresh": compiled at once (not found compiled); a number: compiled after that many ms.
    compile: () => compile === "cached" || compile === "fresh"
      ? Promise.resolve({ cacheKey: "k", cacheHit: compile === "cached", compileTimeMs: 0 })
      : new Promise((resolve) => setTimeout(() => resolve({ cacheKey: "k", cacheHit: false, compileTimeMs: compile }), compile)),
    execute: async (job: ExecuteJob): Promise<ExecutionOutcome> => ({
      executionId: "e1", success: false, returnValue: undefined, stdout: "", stderr: "", executionTimeMs: job.limits.wallTimeoutMs,
      error: {
        kind: "timeout", limit, name: "TimeoutError", stack: "", line: 0, column: 0,
        message: limit === "cpu_time" ? `the script exceeded its CPU time limit of ${cpuBudgetMs(job.limits)} ms` : `the script exceeded its wall-clock limit of ${job.limits.wallTimeoutMs} ms`,
      },
      usage: { memoryBytes: 0, cpuPercentage: 50, operationsCount: 0, networkIoBytes: 0, fileIoBytes: 0 },
      metadata: { cacheHit: false, isolateId: "i1", workerId: "w1", queueWaitMs: 0 },
    }),
  };
  const events = { compiled: () => {}, executed: () => {}, violation: () => {} };
  const svc = scriptsService({ config: loadConfig({ argv: [], env: {} }).config, engine: engine as never, scripts: {} as never, events: events as never });
  const ctx0 = scriptCallContext("runScript", { timeoutMs: 60_000 });
  // What is left of the deadline, fixed (the clock would move it): the compile's time shows only in the message.
  const ctx = { ...ctx0, timeoutMs: () => leftMs };
  const err = await (svc.runScript!({ source: "for (;;) {}" } as never, ctx) as Promise<unknown>).then(
    () => expect.unreachable("the run was stopped"),
    (e: unknown) => e as ConnectError,
  );
  return { message: err.rawMessage, metadata: err.findDetails(ErrorInfoSchema)[0]!.metadata };
}

describe("a TIMEOUT set by the call's deadline", () => {
  it("timeout_ms is the whole number its message names", async () => {
    // 976 ms left, less a tenth: 878.4 ms.
    const t = await timeoutOf(976, "cached");
    expect(t.metadata.timeout_ms).toBe("878");
    expect(t.metadata.cpu_time_ms).toBe("439");
    expect(t.message).toBe("the script used its CPU share (50 %) of the call's 878 ms deadline: 439 ms");
  });

  it("a compile that took less of the deadline than the server's margin (98 ms here) is not named", async () => {
    expect((await timeoutOf(976, "fresh")).message).toBe("the script used its CPU share (50 %) of the call's 878 ms deadline: 439 ms");
  });

  it("after a wait for its compile, the message names what was left of the deadline", async () => {
    const t = await timeoutOf(976, 150);
    expect(t.metadata.timeout_ms).toBe("878");
    const said = /^the script used its CPU share \(50 %\) of the 878 ms left of the call's deadline after (\d+) ms compiling it: 439 ms$/.exec(t.message);
    expect(said, t.message).not.toBeNull();
    expect(Number(said![1])).toBeGreaterThanOrEqual(100);
  });

  it("one the deadline stopped says how long it ran, and what compiling took first", async () => {
    expect((await timeoutOf(976, "cached", "wall_clock")).message).toBe("the call's deadline ran out: the script was stopped after 878 ms");
    const t = await timeoutOf(976, 150, "wall_clock");
    expect(t.metadata).toMatchObject({ timeout_ms: "878", limit: "wall_clock" });
    expect(t.message).toMatch(/^the call's deadline ran out: the script was stopped after 878 ms, \d+ ms having gone to compiling it first$/);
  });
});
