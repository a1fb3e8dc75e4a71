// A registered tool's CPU-time budget is its level's share of its own wall limit (the operation
// timeout's, capped by its level and the configuration), as an execution's is (ownWallTimeoutMs).
// It was taken of the time its caller had left, so a busy tool called with little time left was
// told it exceeded its CPU time limit (a share of that time) where the caller's time is what ran
// out, and one its own budget stopped was told a budget it does not have. A tool the caller's time
// stops ends a margin before it, so the caller catches its error (test/migration/tool-calls.test.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { legacyServer, config } from "../migration/helpers.ts";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";

// A 10 % CPU share: the tool's own wall limit is Safe's 10 s (the operation timeout's too), so its
// budget is 1000 ms whatever its caller has left.

const BUSY_TOOL =
  'export const name = "busy";\nexport const description = "spins";\nexport const version = "1.0.0";\n' +
  'export const inputSchema = { type: "object" };\nexport async function call() { while (true) {} }\n';

const s = legacyServer({ args: ["--set", "resource_limits.max_cpu_percentage=10"], prepare: (root) => writeFileSync(join(root, "busy.js"), BUSY_TOOL) });

/** What a script with `timeoutMs` of its own is told when it calls the busy tool. */
async function callBusy(timeoutMs: number): Promise<string> {
  // Either the caller caught what the tool was told, or its own time ran out first.
  try {
    const r = await s.scripts.runScript(
      {
        source: 'export default async (a, ctx) => { try { await ctx.tools.busy({}); return "returned"; } catch (e) { return String(e.message); } }',
        context: { availableTools: ["busy"], timeout: durationFromMs(timeoutMs) },
      },
      { timeoutMs: 60_000 },
    );
    return String(r.result?.returnValue?.kind.value);
  } catch (e) {
    return `caller: ${(e as Error).message}`;
  }
}

it("a busy tool its own CPU budget stops is told that budget, not a share of its caller's time", { timeout: 120_000 }, async () => {
  // No smoke run: it would spin until its limit.
  const m = (await s.migration.migrateTool({ toolName: "busy", config: config({ skipChecks: ["smoke_run"] }) })).result;
  expect([m?.status, m?.errors]).toEqual([MigrationState.COMPLETED, []]);
  // 9 s left: its own 1000 ms budget comes first (it was 900 ms: 10 % of the time left).
  expect(await callBusy(9000)).toBe('tool "busy" failed: TimeoutError: the script exceeded its CPU time limit of 1000 ms');
});

it("a busy tool its caller's time stops is not told a CPU budget ran out, and its caller catches that", { timeout: 120_000 }, async () => {
  // 1 s left: its budget (1000 ms) is no shorter than its wall limit, so the caller's time is what
  // stops it (it was stopped at ~95 ms of CPU, 10 % of that time, and the caller told so), a margin
  // before the caller's own wall limit, so the caller catches the tool's error rather than timing out.
  const told = await callBusy(1000);
  expect(told).not.toMatch(/CPU time limit/);
  expect(told).toMatch(/wall-clock limit of|timed out after/);
  expect(told).toMatch(/^tool "busy" failed: tool "busy" timed out after \d+ ms: the calling script's time ran out$/);
});
