// Scripts waiting on registered tools never starve the pool: a tool runs on its caller's worker
// (another isolate there) instead of queueing behind the very callers that wait for it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ExecutionResultSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clients, legacyCopy } from "./helpers.ts";

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
});
