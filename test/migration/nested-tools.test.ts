// Scripts waiting on registered tools never starve the pool: a tool runs on its caller's worker
// (another isolate there) instead of queueing behind the very callers that wait for it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ExecutionResultSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clients, legacyCopy } from "./helpers.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

let server: TestServer;
beforeAll(async () => {
  // One worker, a short tool timeout: a tool call stuck behind its own callers would fail the scripts.
  server = await startServer({
    args: ["--set", `tools.legacy_root=${legacyCopy()}`, "--set", "pool.workers=1", "--set", "resource_limits.operation_timeout=4s"],
  });
  const migrated = await clients(server).migration.migrateTool({ toolName: "text_search", config: { backupOriginal: true } });
  expect(migrated.result?.errors).toEqual([]);
});
afterAll(async () => {
  await server.stop();
});

describe("registered tools under a full pool", () => {
  it("concurrent scripts calling a tool all finish with the tool's answer", async () => {
    const { scripts } = clients(server);
    const source = `export default async (args, ctx) => {
      await new Promise((r) => setTimeout(r, 50));
      const found = await ctx.tools.text_search({ text: "alpha\\nbeta\\nalphabet", query: "alpha" });
      return { n: args.n, found };
    }`;
    const runs = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        scripts.runScript({ source, context: { availableTools: ["text_search"], arguments: { n: { kind: { case: "numberValue", value: n } } } } }),
      ),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.result?.error?.message ?? "").toBe("");
      const value = (toJson(ExecutionResultSchema, r.result!) as { returnValue: { n: number; found: unknown } }).returnValue;
      expect(value.n).toBe(i + 1);
      expect(JSON.stringify(value.found)).toContain("alphabet");
    }
  });

  it("an execution whose id another one also used still runs its tools on its own worker, not behind the queue", async () => {
    const { scripts } = clients(server);
    const source = `export default async (a, ctx) => {
      await new Promise((r) => setTimeout(r, 700));
      try { await ctx.tools.text_search({ text: "alpha", query: "alpha" }); return "tool ok"; } catch (e) { return "tool failed: " + e.message; }
    }`;
    const first = scripts.runScript({ source, context: { executionId: "same-id", availableTools: ["text_search"], resourceLimits: { operationTimeout: durationFromMs(1500) } } });
    const busy: ReturnType<typeof scripts.runScript>[] = [];
    try {
      // Running (parked on its timer), not still compiling: the next one overlaps it.
      await untilMetrics(scripts, "the first execution runs", (m) => m.busyIsolates === 1n);
      // Another execution given the same id comes and goes meanwhile.
      expect((await scripts.runScript({ source: "1", context: { executionId: "same-id" } })).result?.returnValue?.kind.value).toBe(1);
      // The one worker then fills with 5 s of work: a tool call waiting behind it would time out (1.5 s).
      busy.push(...[1, 2, 3, 4, 5].map(() => scripts.runScript({ source: "const t = Date.now(); while (Date.now() - t < 1000); 'busy'" })));
      expect((await first).result?.returnValue?.kind.value).toBe("tool ok");
      await Promise.all(busy);
    } finally {
      await settle([first, ...busy]);
    }
  }, 30_000);
});
