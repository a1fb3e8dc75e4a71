// Who may change a migrated tool, and when: auto-fix and rollback need the tool's level (as a
// migration does), auto-fix holds the tool's lock while it checks and repairs, and a rollback that
// cannot restore a tool id says so instead of failing inside the store.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MigrationState, RollbackAction } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { settle, untilMetrics } from "../helpers/until.ts";
import { config, legacyServer, principalsToml, SecurityLevel } from "./helpers.ts";

const ADMIN = "admin-token-0123456789abcdef";
const MIGRATOR = "migrator-token-0123456789abcdef";
const PLAIN = "plain-token-0123456789abcdef";
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

const c = legacyServer({
  toml: `
[store]
max_migrations_per_tool = 3

[tools]
http_allow_list = ["127.0.0.1"]

${principalsToml(
  { name: "ops", token: ADMIN, level: "development", permissions: ["admin"] },
  { name: "migrator", token: MIGRATOR, permissions: ["migrate"] },
  { name: "plain", token: PLAIN, level: "production" },
)}`,
});

const write = (file: string, name: string, body: string, extra = 'export const inputSchema = { type: "object", properties: {} };') =>
  writeFileSync(join(c.root, file), `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n${extra}\nexport async function call(args, ctx) { ${body} }\n`);

describe("changing a migrated tool", () => {
  it("auto-fix and rollback of a tool above the principal's level are PERMISSION_DENIED, and change nothing", async () => {
    write("devt.js", "devt", "return 1;");
    const m = await c.migration.migrateTool({ toolName: "devt", config: config({ level: SecurityLevel.DEVELOPMENT }) }, as(ADMIN));
    expect(m.result?.status).toBe(MigrationState.COMPLETED);
    write("devt.js", "devt", 'return await ctx.tools.fs({ op: "read", path: "x" });');

    const fix = await failure(c.migration.validateMigration({ toolName: "devt", autoFix: true }, as(MIGRATOR)));
    expect([fix.code, fix.reason, fix.metadata.max_level]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "safe"]);
    const back = await failure(c.migration.rollbackTool({ toolName: "devt" }, as(MIGRATOR)));
    expect([back.code, back.reason]).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    const tool = (await c.tools.getTool({ name: "devt" }, as(ADMIN))).tool!;
    expect(tool.migrationId).toBe(m.result?.migrationId);

    // Checking without fixing runs the tool's code at its level: refused too, done by one who may.
    const denied = await failure(c.migration.validateMigration({ toolName: "devt" }, as(MIGRATOR)));
    expect([denied.code, denied.reason]).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    const check = await c.migration.validateMigration({ toolName: "devt" }, as(ADMIN));
    expect(check.result?.issues.some((i) => i.check === "original_unchanged")).toBe(true);
    // The principal that may use the level may do both.
    expect((await c.migration.rollbackTool({ toolName: "devt" }, as(ADMIN))).result?.action).toBe(RollbackAction.REMOVED_TOOL);
  });

  it("auto-fix holds the tool: a rollback meanwhile is MIGRATION_IN_PROGRESS, and afterwards removes the tool for good", async () => {
    // No inputSchema (auto-fix fills one) and a smoke run that takes a while.
    write("slowfix.js", "slowfix", "await new Promise((r) => setTimeout(r, 1500)); return 1;", "");
    await c.migration.migrateTool({ toolName: "slowfix", config: config() }, as(ADMIN));
    const fixing = c.migration.validateMigration({ toolName: "slowfix", autoFix: true }, as(ADMIN));
    try {
      // Its 1.5 s smoke run has started: auto-fix holds the tool's lock from before its checks until it is done.
      await untilMetrics(c.scripts, "the auto-fix's smoke run runs", (m) => m.busyIsolates >= 1n, as(ADMIN));
      const busy = await failure(c.migration.rollbackTool({ toolName: "slowfix" }, as(ADMIN)));
      expect([busy.code, busy.reason]).toEqual(["FailedPrecondition", "MIGRATION_IN_PROGRESS"]);
      const fixed = await fixing;
      expect(fixed.result?.autoFixResults?.applied.join()).toContain("filled the missing inputSchema");
    } finally {
      await settle([fixing]);
    }

    expect((await c.migration.rollbackTool({ toolName: "slowfix" }, as(ADMIN))).result?.action).toBe(RollbackAction.REMOVED_TOOL);
    expect((await failure(c.tools.getTool({ name: "slowfix" }, as(ADMIN)))).reason).toBe("TOOL_NOT_FOUND");
  });

  it("a rollback whose tool id another tool now holds is MIGRATION_ERROR naming it", async () => {
    const shared = 'export const id = "shared-id";\nexport const inputSchema = { type: "object", properties: {} };';
    write("toola.js", "toola", "return 1;", shared);
    write("toolb.js", "toolb", "return 2;", shared);
    await c.migration.migrateTool({ toolName: "toola", config: config({ preserveToolId: true }) }, as(ADMIN));
    const replaced = await c.migration.migrateTool({ toolName: "toola", config: config({ force: true }) }, as(ADMIN));
    expect(replaced.result?.newToolId).not.toBe("shared-id");
    const b = await c.migration.migrateTool({ toolName: "toolb", config: config({ preserveToolId: true }) }, as(ADMIN));
    expect(b.result?.newToolId).toBe("shared-id");

    const f = await failure(c.migration.rollbackTool({ toolName: "toola" }, as(ADMIN)));
    expect([f.code, f.reason, f.metadata.held_by]).toEqual(["FailedPrecondition", "MIGRATION_ERROR", "toolb"]);
    expect((await c.tools.getTool({ name: "toola" }, as(ADMIN))).tool?.toolId).toBe(replaced.result?.newToolId);
  });

  it("a tool keeps its newest migration records (store.max_migrations_per_tool), never the live tool's, and its metadata is bounded", async () => {
    write("churn.js", "churn", "return 1;");
    const first = await c.migration.migrateTool({ toolName: "churn", config: config() }, as(ADMIN));
    for (let i = 0; i < 5; i++) await c.migration.migrateTool({ toolName: "churn", config: config({ dryRun: true }) }, as(ADMIN));
    const kept = (await c.migration.listMigrations({ filter: { toolName: "churn" } }, as(ADMIN))).migrations;
    // Three newest dry runs, and the migration the live tool came from.
    expect(kept.map((m) => m.status)).toEqual([MigrationState.DRY_RUN, MigrationState.DRY_RUN, MigrationState.DRY_RUN, MigrationState.COMPLETED]);
    expect(kept[3]!.migrationId).toBe(first.result?.migrationId);
    expect((await c.migration.rollbackTool({ toolName: "churn" }, as(ADMIN))).result?.action).toBe(RollbackAction.REMOVED_TOOL);

    const wide = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
    const f = await failure(c.migration.migrateTool({ toolName: "churn", config: config({ dryRun: true, metadata: wide }) }, as(ADMIN)));
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "config.metadata"]);
  });

  it("a tool migrated anew while a script runs is held to the caller's rights at the call (no http for a caller without tools:http)", async () => {
    write("flip.js", "flip", "return 'no host tools';");
    await c.migration.migrateTool({ toolName: "flip", config: config({ level: SecurityLevel.PRODUCTION }) }, as(ADMIN));
    const context = { availableTools: ["flip"], securityContext: { securityLevel: SecurityLevel.PRODUCTION } };
    // Calls flip until its answer changes (however long the migration below takes), and says what the new one did.
    const source = `export default async (a, ctx) => {
      for (let i = 0; i < 100; i++) {
        try { const v = await ctx.tools.flip({}); if (v !== "no host tools") return "unexpected: " + v; } catch (e) { return e.name + ": " + e.message; }
        await new Promise((r) => setTimeout(r, 100));
      }
      return "flip never changed";
    }`;
    const running = c.scripts.runScript({ source, context }, as(PLAIN)); // granted: flip uses no host tool yet
    try {
      await untilMetrics(c.scripts, "the script runs", (m) => m.busyIsolates >= 1n, as(ADMIN));
      write("flip.js", "flip", 'return (await ctx.tools.http({ url: "http://127.0.0.1:9/" })).status;');
      const again = await c.migration.migrateTool({ toolName: "flip", config: config({ level: SecurityLevel.PRODUCTION, force: true, skipChecks: ["smoke_run"] }) }, as(ADMIN));
      expect(again.result?.status).toBe(MigrationState.COMPLETED);
    } finally {
      await settle([running]);
    }
    const r = await running;
    expect(String(r.result?.returnValue?.kind.value)).toMatch(/^SecurityError: .*flip tool uses http, which this caller may not use/);
    // A new call is refused up front, as before.
    const f = await failure(c.scripts.runScript({ source: "1", context }, as(PLAIN)));
    expect([f.code, f.metadata.tool]).toEqual(["PermissionDenied", "flip"]);
  });
});
