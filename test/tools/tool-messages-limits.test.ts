// What a script is told when one of its tool calls is cut or its tool's run breaches a limit. A call
// the caller's time cut read `tool "x" failed: tool "x" timed out …` (the prefix twice), and a tool
// run stopped at a limit was told as the script's ("the script exceeded its wall-clock limit of
// 1000 ms", "… its memory limit of 50 MiB"), not naming the tool, nor the operation_timeout that set
// the wall limit. The host's timer and the tool run's own wall limit end such a call at the same time,
// so either may tell it: each is checked in full.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { config, legacyServer } from "../migration/helpers.ts";

const tool = (name: string, body: string) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n` +
  `export const inputSchema = { type: "object" };\nexport async function call(args) { ${body} }\n`;

const s = legacyServer({
  args: ["--set", "pool.workers=1"],
  prepare: (root) => {
    writeFileSync(join(root, "sleeper.js"), tool("sleeper", "await new Promise((r) => setTimeout(r, 60000)); return 1;"));
    writeFileSync(join(root, "memhog.js"), tool("memhog", "const a = []; for (;;) a.push(new Array(100000).fill(1.5));"));
  },
  timeout: 60_000,
});

/** The message of the tool call's error, as the calling script caught it. */
async function caught(toolName: string, timeoutMs: number, operationTimeoutMs?: number): Promise<string> {
  const r = await s.scripts.runScript(
    {
      source: `export default async (a, ctx) => { try { await ctx.tools.${toolName}({}); return "returned"; } catch (e) { return String(e.message); } }`,
      context: {
        availableTools: [toolName], timeout: durationFromMs(timeoutMs),
        resourceLimits: operationTimeoutMs === undefined ? undefined : { operationTimeout: durationFromMs(operationTimeoutMs) },
      },
    },
    { timeoutMs: 60_000 },
  );
  expect(r.result?.success, JSON.stringify(r.result?.error)).toBe(true);
  return String(r.result?.returnValue?.kind.value);
}

beforeAll(async () => {
  for (const name of ["sleeper", "memhog"]) {
    const m = (await s.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) })).result;
    expect([name, m?.status, m?.errors]).toEqual([name, MigrationState.COMPLETED, []]);
  }
}, 60_000);

it("a tool call its caller's time cuts says so once, naming the tool once", { timeout: 60_000 }, async () => {
  expect(await caught("sleeper", 2000)).toMatch(
    /^(tool "sleeper" timed out after \d+ ms: the calling script's time ran out|tool "sleeper" failed: TimeoutError: the tool exceeded the \d+ ms its calling script left it)$/,
  );
});

it("a tool call the request's operation_timeout cuts names that timeout and the tool", { timeout: 60_000 }, async () => {
  expect(await caught("sleeper", 20_000, 1000)).toMatch(
    /^(tool "sleeper" timed out after 1000 ms \(its operation_timeout\)|tool "sleeper" failed: TimeoutError: the tool exceeded the call's 1000 ms tool timeout \(operation_timeout\))$/,
  );
});

it("a tool run's memory breach is the tool's", { timeout: 60_000 }, async () => {
  expect(await caught("memhog", 20_000)).toMatch(/^tool "memhog" failed: MemoryLimitError: the tool exceeded its memory limit of \d+ MiB/);
});

// A script that returns with tool calls still at the host has them stopped (a spinning one costs its
// worker, and its caller a strike); its result said nothing of it, so a forgotten await went untold.
it("tool calls still running when the script returns are named in its stderr as stopped", { timeout: 60_000 }, async () => {
  const run = (body: string) =>
    s.scripts.runScript({ source: `export default async (a, ctx) => { ${body} }`, context: { availableTools: ["sleeper"], timeout: durationFromMs(20_000) } }, { timeoutMs: 60_000 });
  const left = await run('console.error("before"); ctx.tools.sleeper({}).catch(() => {}); ctx.tools.sleeper({}).catch(() => {}); return "returned";');
  expect([left.result?.success, left.result?.stderr]).toEqual([true, 'before\n2 tool calls "sleeper" still running when the script returned: stopped\n']);
  // None left running: nothing added.
  const none = await run('return "returned";');
  expect([none.result?.success, none.result?.stderr]).toEqual([true, ""]);
});
