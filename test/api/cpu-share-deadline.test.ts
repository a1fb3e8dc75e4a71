// A level's CPU share is "percent of one core" (common.proto): its CPU-time budget is that share of
// the wall limit in force. It was taken of the script's own wall limit even when the call's deadline
// had cut the wall limit shorter, so a 5 s call at Safe (50 %) got 2500 ms of CPU asked with
// context.timeout and 5000 ms, a whole core, asked with a 5 s deadline; a registered tool its
// caller's time cut likewise kept its own limit's budget. Both are now the share of the time the
// run has, and a stop by such a budget says it was a share of that deadline.
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { expect, it } from "vitest";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ExecutionContextSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { grantFor } from "../../src/api/limits.ts";
import { loadConfig } from "../../src/config/load.ts";
import { cpuBudgetMs, type ExecuteJob, type ExecutionOutcome } from "../../src/engine/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";

const { config } = loadConfig({ env: {}, argv: [] });
const principal = { name: "p", maxSecurityLevel: "development", permissions: [], maxConcurrent: 0 } as never;
const safe = (timeoutMs?: number) =>
  create(ExecutionContextSchema, { securityContext: { securityLevel: SecurityLevel.SAFE }, ...(timeoutMs !== undefined && { timeout: durationFromMs(timeoutMs) }) });

it("a 5 s call at Safe (50 % share) gets the same CPU budget whether its 5 s is its own timeout or the call's deadline", () => {
  const own = grantFor({ config, principal, context: safe(5000), deadlineMs: undefined });
  const byDeadline = grantFor({ config, principal, context: safe(), deadlineMs: 5000 });
  expect([own.limits.wallTimeoutMs, cpuBudgetMs(own.limits), own.wallIsDeadline]).toEqual([5000, 2500, false]);
  expect([byDeadline.limits.wallTimeoutMs, cpuBudgetMs(byDeadline.limits), byDeadline.wallIsDeadline]).toEqual([5000, 2500, true]);
});

it("a registered tool its caller's time cuts gets its share of that time, and a stop by it says so", async () => {
  const jobs: ExecuteJob[] = [];
  const engine = {
    execute: async (job: ExecuteJob): Promise<ExecutionOutcome> => {
      jobs.push(job);
      const error = { kind: "timeout", name: "TimeoutError", message: `the script exceeded its CPU time limit of ${cpuBudgetMs(job.limits)} ms`, stack: "", line: 0, column: 0, limit: "cpu_time" };
      return { success: false, error } as unknown as ExecutionOutcome;
    },
  };
  const registry = new ToolRegistry({ config, engine: engine as never, tools: {} as never, schemas: {} as never });
  const tool = { name: "busy", source: "export async function call() {}", language: "javascript" as const, hostTools: [] };
  // Its own limit is Safe's 10 s (the operation timeout's); its calling script left it 900 ms.
  const cut = await registry.execute(tool, {}, "safe", 10_000, undefined, "caller", { deadlineMs: 900 });
  expect([jobs[0].limits.wallTimeoutMs, cpuBudgetMs(jobs[0].limits)]).toEqual([900, 450]);
  expect(cut.error?.message).toBe("the tool used its CPU share (50 %) of the 900 ms its calling script left it: 450 ms");
  // Not cut: its own budget, told as the engine tells it.
  const whole = await registry.execute(tool, {}, "safe", 10_000, undefined, "caller", { deadlineMs: 20_000 });
  expect([jobs[1].limits.wallTimeoutMs, cpuBudgetMs(jobs[1].limits)]).toEqual([10_000, 5000]);
  expect(whole.error?.message).toBe("the tool exceeded its CPU time limit of 5000 ms");
});
