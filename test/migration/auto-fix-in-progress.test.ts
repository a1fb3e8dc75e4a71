// ValidateMigration with auto_fix while the tool's first migration is still running: there is no
// tool yet, but because a change is under way, so it is MIGRATION_IN_PROGRESS (retry later), as a
// rollback at that moment is, not TOOL_NOT_FOUND.
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { until } from "../helpers/until.ts";
import { config, legacyServer, writeTool } from "./helpers.ts";

const c = legacyServer({
  cleanExit: false,
  prepare: (root) => {
    writeTool(root, "firstslow", "await new Promise((r) => setTimeout(r, 3000)); return 1;");
  },
});

it("an auto-fix during the tool's first migration is MIGRATION_IN_PROGRESS, and fixes once it is done", async () => {
  const migrating = c.migration.migrateTool({ toolName: "firstslow", config: config({ smokeTimeoutMs: 20_000 }) });
  try {
    await until("the first migration is in progress", async () => (await c.migration.listMigrations({ filter: { statuses: [MigrationState.IN_PROGRESS] } })).migrations.length);
    const f = await failure(c.migration.validateMigration({ toolName: "firstslow", autoFix: true }));
    expect([f.code, f.reason, f.metadata.tool]).toEqual(["FailedPrecondition", "MIGRATION_IN_PROGRESS", "firstslow"]);
  } finally {
    expect((await migrating).result?.status).toBe(MigrationState.COMPLETED);
  }
  expect((await c.migration.validateMigration({ toolName: "firstslow", autoFix: true, validation: { smokeRunTimeout: { seconds: 20n, nanos: 0 } } })).result?.toolName).toBe("firstslow");
  // Never migrated and nothing running: still not found.
  expect((await failure(c.migration.validateMigration({ toolName: "never_migrated", autoFix: true }))).reason).toBe("TOOL_NOT_FOUND");
});
