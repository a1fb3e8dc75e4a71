// Retention of migration records (store.max_migrations_per_tool): dry runs and failed runs, which
// change nothing, must not push out the completed migrations the live tool can still be rolled
// back through, nor their backups; the records stay bounded all the same.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState, RollbackAction } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { config, legacyServer } from "./helpers.ts";

const c = legacyServer({ toml: "[store]\nmax_migrations_per_tool = 3\n" });

const write = (name: string, body: string) =>
  writeFileSync(
    join(c.root, `${name}.js`),
    `export const name = "${name}";\nexport const description = "d";\nexport const version = "1.0.0";\nexport const inputSchema = { type: "object", properties: {} };\nexport async function call() { ${body} }\n`,
  );
const migrate = async (name: string, o: Parameters<typeof config>[0] = {}) => (await c.migration.migrateTool({ toolName: name, config: config(o) })).result!;
const history = async (name: string) => (await c.migration.listMigrations({ filter: { toolName: name }, pageSize: 100 })).migrations;

it("dry runs and failed runs past the limit leave the live tool's rollback chain whole, and every step can still be undone", async () => {
  write("chained", "return 1;");
  const m1 = await migrate("chained");
  write("chained", "return 2;");
  const m2 = await migrate("chained", { force: true });
  write("chained", "return 3;");
  const m3 = await migrate("chained", { force: true });
  expect([m1.status, m2.status, m3.status]).toEqual([MigrationState.COMPLETED, MigrationState.COMPLETED, MigrationState.COMPLETED]);

  // More dry runs and failures than the limit: each would have pushed out an older completed migration.
  for (let i = 0; i < 4; i++) expect((await migrate("chained", { dryRun: true, force: true })).status).toBe(MigrationState.DRY_RUN);
  write("chained", "return (;");
  for (let i = 0; i < 4; i++) expect((await migrate("chained", { force: true })).status).toBe(MigrationState.FAILED);

  const kept = await history("chained");
  const ids = kept.map((m) => m.migrationId);
  expect(ids).toEqual(expect.arrayContaining([m1.migrationId, m2.migrationId, m3.migrationId]));
  // Still bounded: besides the chain, the newest three of the dry runs and failures together.
  expect(kept.map((m) => m.status)).toEqual([...Array(3).fill(MigrationState.FAILED), ...Array(3).fill(MigrationState.COMPLETED)]);
  expect(kept.filter((m) => m.status === MigrationState.COMPLETED).every((m) => m.hasBackup)).toBe(true);

  const back3 = (await c.migration.rollbackTool({ toolName: "chained" })).result!;
  expect(back3).toMatchObject({ action: RollbackAction.RESTORED_PREVIOUS, migrationId: m3.migrationId, restoredToolId: m2.newToolId });
  expect((await c.tools.getTool({ name: "chained" })).tool?.migrationId).toBe(m2.migrationId);
  const back2 = (await c.migration.rollbackTool({ toolName: "chained", config: { migrationId: m2.migrationId } })).result!;
  expect(back2).toMatchObject({ action: RollbackAction.RESTORED_PREVIOUS, restoredToolId: m1.newToolId });
  const back1 = (await c.migration.rollbackTool({ toolName: "chained", config: { migrationId: m1.migrationId } })).result!;
  expect(back1.action).toBe(RollbackAction.REMOVED_TOOL);
});

it("completed migrations the live tool can no longer reach are kept only up to the limit", async () => {
  write("churned", "return 1;");
  const first = await migrate("churned");
  // Each re-migration without a backup ends the chain: the ones before it are history only.
  const later = [];
  for (let i = 0; i < 5; i++) later.push(await migrate("churned", { force: true, backupOriginal: false }));
  const kept = (await history("churned")).map((m) => m.migrationId);
  // The live tool's own migration, and the newest three of the others.
  expect(kept).toEqual(later.slice(1).reverse().map((m) => m.migrationId));
  expect(kept).not.toContain(first.migrationId);
});
