// A registered tool's run stopped at a limit is told as the tool's, not as "the script's" (the worker
// words every run's breach so), and a wall-clock stop names what set that limit when it was not the
// tool's own: the call's tool timeout (its operation_timeout) or the time its calling script left it.
import { expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import type { ExecuteJob, ExecutionOutcome } from "../../src/engine/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";

const tool = { name: "sleeper", source: "export async function call() {}", language: "javascript" as const, hostTools: [] };

/** The message a tool run ends with when the worker words its breach `worded(limits)`. */
async function told(worded: (job: ExecuteJob) => { message: string; kind: string; limit?: string }, options: { deadlineMs?: number; deadlineByCaller?: boolean } = {}): Promise<string> {
  const { config } = loadConfig({ env: {}, argv: [] });
  const engine = { execute: async (job: ExecuteJob) => ({ success: false, error: { name: "TimeoutError", stack: "", line: 0, column: 0, ...worded(job) } }) as unknown as ExecutionOutcome };
  const registry = new ToolRegistry({ config, engine: engine as never, tools: {} as never, schemas: {} as never });
  return (await registry.execute(tool, {}, "safe", 10_000, undefined, "caller#1", options)).error!.message;
}

const wall = (job: ExecuteJob) => ({ kind: "timeout", limit: "wall_clock", message: `the script exceeded its wall-clock limit of ${job.limits.wallTimeoutMs} ms` });

it("a wall-clock stop at the call's tool timeout names it and the tool", async () => {
  expect(await told(wall, { deadlineMs: 1000, deadlineByCaller: false })).toBe("the tool exceeded the call's 1000 ms tool timeout (operation_timeout)");
});

it("a wall-clock stop at what its calling script left it says so", async () => {
  expect(await told(wall, { deadlineMs: 900, deadlineByCaller: true })).toBe("the tool exceeded the 900 ms its calling script left it");
});

it("a wall-clock stop at the tool's own limit, a memory breach and a CPU one are the tool's", async () => {
  expect(await told(wall)).toBe("the tool exceeded its wall-clock limit of 10000 ms");
  expect(await told(() => ({ kind: "memory_limit", message: "the script exceeded its memory limit of 50 MiB" }))).toBe("the tool exceeded its memory limit of 50 MiB");
  expect(await told(() => ({ kind: "timeout", limit: "cpu_time", message: "the script exceeded its CPU time limit of 5000 ms" }))).toBe("the tool exceeded its CPU time limit of 5000 ms");
});

it("a thrown error's message is the tool's own, as it is", async () => {
  expect(await told(() => ({ kind: "script_threw", message: "the script exceeded its quota" }))).toBe("the script exceeded its quota");
});
