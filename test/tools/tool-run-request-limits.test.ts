// Through the server: a request's resource_limits reach the registered tools its script calls. A
// script held to 10 MiB by its request allocated 30 MiB by calling a tool (which ran with its Safe
// level's 50 MiB), and one held to a 5 % CPU share had a tool spin at 50 %.
import { beforeAll, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { config, legacyServer, writeTool } from "../migration/helpers.ts";

const s = legacyServer({
  args: ["--set", "pool.workers=1"],
  prepare: (root) => {
    writeTool(root, "hog", "const a = []; for (let i = 0; i < 30; i++) a.push(new Array(131072).fill(i + 0.5)); return a.length;");
    writeTool(root, "spin", "for (;;) {}");
  },
  timeout: 60_000,
});

beforeAll(async () => {
  for (const name of ["hog", "spin"]) {
    const m = (await s.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) })).result;
    expect([name, m?.status, m?.errors]).toEqual([name, MigrationState.COMPLETED, []]);
  }
}, 60_000);

/** The tool's value, or the message of its call's error, as the calling script caught it. */
async function caught(toolName: string, resourceLimits?: { maxMemoryBytes?: bigint; maxCpuPercentage?: number }): Promise<string> {
  const r = await s.scripts.runScript(
    {
      source: `export default async (a, ctx) => { try { return String(await ctx.tools.${toolName}({})); } catch (e) { return String(e.message); } }`,
      context: { availableTools: [toolName], timeout: durationFromMs(20_000), resourceLimits },
    },
    { timeoutMs: 60_000 },
  );
  expect(r.result?.success, JSON.stringify(r.result?.error)).toBe(true);
  return String(r.result?.returnValue?.kind.value);
}

it("the request's memory limit holds the tools its script calls", { timeout: 60_000 }, async () => {
  expect(await caught("hog", { maxMemoryBytes: 10n * 1048576n })).toMatch(/^tool "hog" failed: MemoryLimitError: the tool exceeded its memory limit of 10 MiB/);
  expect(await caught("hog")).toBe("30");
});

it("the request's CPU share holds the tools its script calls", { timeout: 60_000 }, async () => {
  expect(await caught("spin", { maxCpuPercentage: 5 })).toMatch(/^tool "spin" failed: TimeoutError: the tool used its CPU share \(5 %\)/);
});
