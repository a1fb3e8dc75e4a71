// A registered tool's CPU-time budget is its level's share of the wall limit in force, as an
// execution's is: its own (the operation timeout's, capped by its level and the configuration), or
// the shorter time its calling script left it. A tool the caller's time cut kept its own limit's
// budget, so a caller's short time lifted the tool's share to a whole core; it is now stopped by its
// share of that time and told so, a margin before its caller's own wall limit, so the caller
// catches its error (test/migration/tool-calls.test.ts).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { legacyServer, config } from "../migration/helpers.ts";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";

// A 10 % CPU share; the tool's own wall limit is Safe's 10 s (the operation timeout's too).

const BUSY_TOOL =
  'export const name = "busy";\nexport const description = "spins";\nexport const version = "1.0.0";\n' +
  'export const inputSchema = { type: "object" };\nexport async function call() { while (true) {} }\n';

const s = legacyServer({ args: ["--set", "resource_limits.max_cpu_percentage=10"], prepare: (root) => writeFileSync(join(root, "busy.js"), BUSY_TOOL) });

/** What a script with `timeoutMs` of its own is told when it calls the busy tool. */
async function callBusy(timeoutMs: number, securityLevel = SecurityLevel.SAFE, operationTimeoutMs?: number): Promise<string> {
  // Either the caller caught what the tool was told, or its own time ran out first.
  try {
    const r = await s.scripts.runScript(
      {
        source: 'export default async (a, ctx) => { try { await ctx.tools.busy({}); return "returned"; } catch (e) { return String(e.message); } }',
        context: {
          availableTools: ["busy"], timeout: durationFromMs(timeoutMs), securityContext: { securityLevel },
          resourceLimits: operationTimeoutMs === undefined ? undefined : { operationTimeout: durationFromMs(operationTimeoutMs) },
        },
      },
      { timeoutMs: 60_000 },
    );
    return String(r.result?.returnValue?.kind.value);
  } catch (e) {
    return `caller: ${(e as Error).message}`;
  }
}

/** The tool's error when its share of what its caller left it stopped it: that time and the budget. */
function shareOfCallersTime(told: string): { left: number; budget: number } {
  const m = /^tool "busy" failed: TimeoutError: the tool used its CPU share \(10 %\) of the (\d+) ms its calling script left it: (\d+) ms$/.exec(told);
  expect(m, told).not.toBeNull();
  return { left: Number(m![1]), budget: Number(m![2]) };
}

it("a busy tool its caller's time cuts is stopped by its share of that time, and its caller catches that", { timeout: 120_000 }, async () => {
  // No smoke run: it would spin until its limit.
  const m = (await s.migration.migrateTool({ toolName: "busy", config: config({ skipChecks: ["smoke_run"] }) })).result;
  expect([m?.status, m?.errors]).toEqual([MigrationState.COMPLETED, []]);
  // 9 s left, less the caller's margin: 10 % of that (it was 1000 ms, 10 % of the tool's own 10 s).
  const late = shareOfCallersTime(await callBusy(9000));
  expect(late.left).toBeLessThan(9000);
  expect(late.budget).toBe(Math.round(late.left / 10));
  // 1 s left: likewise, a margin before the caller's own wall limit, so the caller catches the
  // tool's error rather than timing out itself.
  const short = shareOfCallersTime(await callBusy(1000));
  expect(short.left).toBeLessThan(1000);
  expect(short.budget).toBe(Math.round(short.left / 10));
});

it("a busy tool its caller leaves all of its own time is stopped by its own budget", { timeout: 120_000 }, async () => {
  // A Development caller with 20 s: the tool runs at its own level, Safe, with its own 10 s.
  expect(await callBusy(20_000, SecurityLevel.DEVELOPMENT)).toBe('tool "busy" failed: TimeoutError: the tool exceeded its CPU time limit of 1000 ms');
});

it("a busy tool the request's tool timeout cuts is told that timeout, not its caller's time", { timeout: 120_000 }, async () => {
  // A Development caller with 20 s asks for a 3 s operation_timeout: the tool's 10 % is of those 3 s.
  expect(await callBusy(20_000, SecurityLevel.DEVELOPMENT, 3000)).toBe("tool \"busy\" failed: TimeoutError: the tool used its CPU share (10 %) of the call's 3000 ms tool timeout: 300 ms");
});
