// A forced migration removes the tool it replaces, so it needs that tool's level as well as the
// new one's: a principal capped at Safe may not force-replace a Development or Production tool
// (PERMISSION_DENIED SECURITY_VIOLATION naming the existing tool's level), dry runs included, and
// in MigrateDirectory such an entry is FAILED while the others go on.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { MigrationState, RollbackAction, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { bearer, config, type ConfigInput, legacyServer, principalsToml, SecurityLevel } from "./helpers.ts";

const OPS = { headers: bearer("ops") };
const JUNIOR = { headers: bearer("junior") };
const TOML = principalsToml({ name: "ops", level: "development", permissions: ["admin"] }, { name: "junior", level: "safe", permissions: ["migrate"] });

const tool = (root: string, file: string, name: string, returns: string) => {
  mkdirSync(join(root, file, ".."), { recursive: true });
  writeFileSync(join(root, file), `export const name = "${name}";\nexport const description = "d";\nexport const inputSchema = { type: "object" };\nexport async function call() { return "${returns}"; }\n`);
};

const c = legacyServer({
  toml: TOML,
  cleanExit: false,
  prepare: (root) => {
    tool(root, "admin/report.js", "report", "admin");
    tool(root, "admin/ledger.js", "ledger", "admin");
    tool(root, "admin/notes.js", "notes", "admin");
    for (const name of ["report", "notes", "extra"]) tool(root, `batch/${name}.js`, name, "junior");
    // Named after a file that is not the tool's name: the refusal still names the tool.
    tool(root, "batch/ledger-v2.js", "ledger", "junior");
  },
});
beforeAll(async () => {
  const migrate = async (file: string, level: SecurityLevel) =>
    expect((await c.migration.migrateTool({ config: config({ file, level }) }, OPS)).result?.status).toBe(MigrationState.COMPLETED);
  await migrate("admin/report.js", SecurityLevel.DEVELOPMENT);
  await migrate("admin/ledger.js", SecurityLevel.PRODUCTION);
  await migrate("admin/notes.js", SecurityLevel.SAFE);
});

const juniorForce = (file: string, c2: ConfigInput = {}) => c.migration.migrateTool({ config: config({ file, force: true, ...c2 }) }, JUNIOR);
const liveTool = async (name: string) => (await c.tools.getTool({ name }, OPS)).tool!;

it("a Safe-capped principal may not force-replace a Development or Production tool, not even in a dry run", async () => {
  const before = await liveTool("report");
  for (const [file, level] of [["batch/report.js", "development"], ["batch/ledger-v2.js", "production"]]) {
    for (const dryRun of [false, true]) {
      const f = await failure(juniorForce(file, { dryRun }));
      expect([f.code, f.reason, dryRun]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", dryRun]);
      expect(f.metadata).toMatchObject({ requested_level: level, max_level: "safe", tool: file === "batch/report.js" ? "report" : "ledger" });
      expect(f.err.rawMessage).toContain(`principal "junior" may not replace tools at level ${level}`);
    }
  }
  // The admin's tools are untouched, and no migration of them by junior was recorded.
  const after = await liveTool("report");
  expect([after.toolId, after.securityLevel, after.migrationId]).toEqual([before.toolId, SecurityLevel.DEVELOPMENT, before.migrationId]);
  expect((await liveTool("ledger")).securityLevel).toBe(SecurityLevel.PRODUCTION);
  const listed = await c.migration.listMigrations({ filter: { toolName: "report" } }, OPS);
  expect(listed.migrations.map((m) => m.status)).toEqual([MigrationState.COMPLETED]);
});

it("MigrateDirectory reports each refused replacement as a FAILED entry and migrates the rest", async () => {
  const out: MigrationResult[] = [];
  for await (const s of c.migration.migrateDirectory({ directory: "batch", config: config({ force: true }) }, JUNIOR)) out.push(s.result!);
  const byName = Object.fromEntries(out.map((r) => [r.toolName, r]));
  expect(Object.keys(byName).sort()).toEqual(["extra", "ledger", "notes", "report"]);
  expect(byName.report.status).toBe(MigrationState.FAILED);
  expect(byName.report.errors).toEqual(['principal "junior" may not replace tools at level development (max safe)']);
  expect(byName.ledger.status).toBe(MigrationState.FAILED);
  expect(byName.ledger.errors).toEqual(['principal "junior" may not replace tools at level production (max safe)']);
  // A Safe tool it may replace, and a new one, go through.
  expect([byName.notes.status, byName.extra.status]).toEqual([MigrationState.COMPLETED, MigrationState.COMPLETED]);
  expect((await liveTool("report")).securityLevel).toBe(SecurityLevel.DEVELOPMENT);
  expect((await liveTool("ledger")).securityLevel).toBe(SecurityLevel.PRODUCTION);
});

it("a rollback still needs the level of the tool it would restore", async () => {
  // The admin replaces its Development tool by a Safe one (backed up): undoing that brings the
  // Development tool back, which junior may not.
  const m = await c.migration.migrateTool({ config: config({ file: "batch/report.js", force: true }) }, OPS);
  expect(m.result?.status).toBe(MigrationState.COMPLETED);
  const f = await failure(c.migration.rollbackTool({ toolName: "report" }, JUNIOR));
  expect([f.code, f.reason, f.metadata.requested_level]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "development"]);
  const back = await c.migration.rollbackTool({ toolName: "report" }, OPS);
  expect(back.result?.action).toBe(RollbackAction.RESTORED_PREVIOUS);
  expect((await liveTool("report")).securityLevel).toBe(SecurityLevel.DEVELOPMENT);
});
