// A tool run's execution id is its caller's with the tool's name and a suffix. The suffix was the
// time in ms, so parallel calls of one tool in the same millisecond shared an id: logs, the blame of
// a replaced worker and traces could not tell them apart. Now each run of this process has its own.
import { expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import type { ExecuteJob, ExecutionOutcome } from "../../src/engine/index.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";

it("calls of one tool in the same millisecond get distinct execution ids under their caller's", async () => {
  const { config } = loadConfig({ env: {}, argv: [] });
  const ids: string[] = [];
  const engine = { execute: async (job: ExecuteJob) => (ids.push(job.executionId!), { success: true } as ExecutionOutcome) };
  const registry = new ToolRegistry({ config, engine: engine as never, tools: {} as never, schemas: {} as never });
  const tool = { name: "spin", source: "export async function call() {}", language: "javascript" as const, hostTools: [] };
  await Promise.all(Array.from({ length: 8 }, () => registry.execute(tool, {}, "safe", 10_000, undefined, "caller#4")));
  expect(new Set(ids).size).toBe(8);
  for (const id of ids) expect(id).toMatch(/^caller#4\/tool:spin:[0-9a-z]+$/);
});
