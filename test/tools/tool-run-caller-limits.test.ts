// A registered tool's run and the limits of the execution calling it.
// - The request's resource_limits tighten its execution's memory and CPU share, but a tool it called
//   ran with its own level's (50 MiB and 50 % at Safe): a script held to 10 MiB allocated 30 MiB by
//   calling a tool. A tool's run now gets the lower of its level's limits and its caller's grant.
// - A tool's result was held to execution.max_return_bytes (a script's return cap), told as "the
//   return value exceeds N bytes of JSON": with max_tool_payload_bytes raised above it, a result
//   under the tool cap was refused. It is held to the tool cap, which its refusal names.
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import type { Engine, ExecuteJob, ExecutionLimits, ExecutionOutcome } from "../../src/engine/index.ts";
import { toolBridge, type CallerLimits } from "../../src/tools/bridge.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import type { StoredTool } from "../../src/store/tools.ts";
import { MiB, startEngine } from "../engine/helpers.ts";

const stored = (name: string, body: string): StoredTool => ({
  toolId: name, name, description: "d", inputSchema: null, outputSchema: null, version: "1.0.0", tags: [], securityLevel: "safe",
  source: `export const name = ${JSON.stringify(name)};\nexport async function call(args) { ${body} }\n`,
  language: "javascript", sourceHash: "", hostTools: [], migrationId: "", metadata: {}, createdAtMs: 0, updatedAtMs: 0,
});
const TOOLS = new Map([
  // 30 MiB of doubles, kept alive.
  ["hog", stored("hog", "const a = []; for (let i = 0; i < 30; i++) a.push(new Array(131072).fill(i + 0.5)); return a.length;")],
  ["big", stored("big", 'return "x".repeat(args.n);')],
]);
const repository = { get: (n: string) => TOOLS.get(n), has: (n: string) => TOOLS.has(n), count: () => TOOLS.size };

function registryFor(engine: Pick<Engine, "execute">, set: string[] = []) {
  const { config } = loadConfig({ env: {}, argv: set.flatMap((s) => ["--set", s]) });
  return { config, registry: new ToolRegistry({ config, engine: engine as Engine, tools: repository as never, schemas: {} as never }) };
}

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ workers: 1 });
}, 60_000);
afterAll(async () => {
  await engine?.close();
}, 20_000);

/** The limits a tool's run is given when its caller holds `caller`. */
async function toolRunLimits(caller?: CallerLimits): Promise<ExecutionLimits> {
  const jobs: ExecuteJob[] = [];
  const { registry } = registryFor({ execute: async (job: ExecuteJob) => (jobs.push(job), { success: true, returnValue: 1 } as ExecutionOutcome) });
  const network = { used: 0, max: 0 };
  await registry.run("hog", {}, new AbortController().signal, { level: "safe", executionId: "e", timeoutMs: 5000, network, limits: caller });
  return jobs[0]!.limits;
}

it("a tool's run gets no more memory or CPU share than its caller was granted", async () => {
  const tightened = await toolRunLimits({ memoryBytes: 10 * MiB, cpuShare: 5 });
  expect([tightened.memoryBytes, tightened.cpuShare]).toEqual([10 * MiB, 5]);
  // A caller granted more than the tool's level keeps the tool at its level's (Safe: 50 MiB, 50 %).
  for (const caller of [{ memoryBytes: 200 * MiB, cpuShare: undefined }, undefined]) {
    const own = await toolRunLimits(caller);
    expect([own.memoryBytes, own.cpuShare]).toEqual([50 * MiB, 50]);
  }
});

/** What the script calling `tool` with `args` got: the tool's value, or its ToolError's message. */
async function callThroughEngine(set: string[], callerLimits: ExecutionLimits, tool: string, args: object): Promise<unknown> {
  const { config, registry } = registryFor(engine, set);
  const bridge = toolBridge({ level: "safe", network: 0, maxFileBytes: 0, http: { allowList: [], maxResponseBytes: 1024, timeoutMs: 1000 }, scriptTools: registry.run, callerLimits });
  const r = await engine.execute({
    source: `export default async (a, ctx) => { try { const v = await ctx.tools.${tool}(${JSON.stringify(args)}); return typeof v === "string" ? v.length : v; } catch (e) { return e.name + ": " + e.message; } }`,
    limits: { ...callerLimits, maxToolPayloadBytes: config.execution.maxToolPayloadBytes, tools: [tool] },
    onToolCall: bridge,
  });
  expect(r.error).toBeUndefined();
  return r.returnValue;
}

const script = (memoryBytes: number): ExecutionLimits => ({ memoryBytes, wallTimeoutMs: 20_000, maxOutputBytes: 1024, maxReturnBytes: 4096, tools: [] });

it("a tool's run breaches the memory limit its caller's request set", { timeout: 60_000 }, async () => {
  expect(await callThroughEngine([], script(10 * MiB), "hog", {})).toMatch(/^ToolError: tool "hog" failed: MemoryLimitError: the tool exceeded its memory limit of 10 MiB/);
  // The same tool within its level's 50 MiB when its caller has as much.
  expect(await callThroughEngine([], script(50 * MiB), "hog", {})).toBe(30);
});

it("a tool's result is held to max_tool_payload_bytes, whichever of the two caps is higher", { timeout: 60_000 }, async () => {
  const over = (cap: number) => `ToolError: tool "big" failed: result exceeds ${cap} bytes of JSON (execution.max_tool_payload_bytes)`;
  // The tool cap above the script's return cap: a result up to it (a string of n characters is n + 2 bytes of JSON) is delivered.
  const raised = ["execution.max_return_bytes=1024", "execution.max_tool_payload_bytes=2048"];
  expect(await callThroughEngine(raised, script(50 * MiB), "big", { n: 2046 })).toBe(2046);
  expect(await callThroughEngine(raised, script(50 * MiB), "big", { n: 2047 })).toBe(over(2048));
  // And below it: the tool cap still.
  const lowered = ["execution.max_return_bytes=2048", "execution.max_tool_payload_bytes=1024"];
  expect(await callThroughEngine(lowered, script(50 * MiB), "big", { n: 1022 })).toBe(1022);
  expect(await callThroughEngine(lowered, script(50 * MiB), "big", { n: 1023 })).toBe(over(1024));
});
