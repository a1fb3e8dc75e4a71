// A recursive MigrateDirectory over two files declaring the same tool name: the second is FAILED
// as a duplicate of the first in this run (dry runs too), instead of replacing the tool the same
// run just registered (force) or meeting it as TOOL_EXISTS.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { config, type ConfigInput, legacyServer } from "./helpers.ts";

const c = legacyServer({
  cleanExit: false,
  prepare: (root) => {
    for (const v of ["v1", "v2"]) {
      mkdirSync(join(root, "batch", v), { recursive: true });
      writeFileSync(join(root, "batch", v, "search.js"), `export const name = "search";\nexport const description = "search ${v}";\nexport const inputSchema = { type: "object" };\nexport async function call() { return "${v}"; }\n`);
    }
  },
});

async function run(c2: ConfigInput): Promise<MigrationResult[]> {
  const out: MigrationResult[] = [];
  for await (const s of c.migration.migrateDirectory({ directory: "batch", recursive: true, config: config(c2) })) out.push(s.result!);
  return out;
}

it("the dry run predicts it, and the real run (with force) keeps the first", async () => {
  const dry = await run({ dryRun: true, force: true });
  expect(dry.map((r) => [r.toolName, r.status, r.errors])).toEqual([
    ["search", MigrationState.DRY_RUN, []],
    ["search", MigrationState.FAILED, ["duplicate of batch/v1/search.js in this run"]],
  ]);
  const real = await run({ force: true });
  expect(real.map((r) => [r.toolName, r.status, r.errors])).toEqual([
    ["search", MigrationState.COMPLETED, []],
    ["search", MigrationState.FAILED, ["duplicate of batch/v1/search.js in this run"]],
  ]);
  const live = (await c.tools.getTool({ name: "search" })).tool!;
  expect([live.toolId, live.description]).toEqual([real[0]!.newToolId, "search v1"]);
});
