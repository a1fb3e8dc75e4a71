// Durability through the real server: everything survives a restart, and a SIGKILL in the middle
// of a migration (a slow smoke run, or inside the finishing transaction) or of a rollback leaves
// the old state or the new one, never half; the restarted server recovers.
import { describe, expect, it } from "vitest";
import { MigrationState, RollbackAction } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { clients, config, killMidMigration, legacyCopy, startWithLegacy, waitForLog, writeTool } from "./helpers.ts";

const HOOK = "SE_TEST_MIGRATION_COMMIT_DELAY_MS";

async function snapshot(c: ReturnType<typeof clients>) {
  return {
    tools: (await c.tools.listTools({ pageSize: 1000 })).tools,
    migrations: (await c.migration.listMigrations({ pageSize: 1000 })).migrations,
    status: (await c.migration.getMigrationStatus({})).status,
  };
}

describe("durability", () => {
  it("a restart keeps tools, migrations, backups and rollbacks", async () => {
    const root = legacyCopy();
    let server = await startWithLegacy(root);
    let c = clients(server);
    await c.migration.migrateTool({ toolName: "text_search", config: config() });
    await c.migration.migrateTool({ toolName: "text_search", config: config({ force: true }) });
    await c.migration.migrateTool({ toolName: "word_count", config: config() });
    await c.migration.migrateTool({ toolName: "broken_tool", config: config() });
    await c.migration.migrateTool({ toolName: "slugify", config: config({ dryRun: true }) });
    await c.migration.rollbackTool({ toolName: "word_count" });
    const before = await snapshot(c);
    expect(await server.stop()).toBe(0);

    server = await startWithLegacy(root, { dataDir: server.dataDir });
    c = clients(server);
    try {
      expect(await snapshot(c)).toEqual(before);
      // The backup taken before the restart still restores the replaced tool.
      const rb = (await c.migration.rollbackTool({ toolName: "text_search" })).result!;
      expect(rb.action).toBe(RollbackAction.RESTORED_PREVIOUS);
      const run = await c.scripts.runScript({ source: `export default (a, ctx) => ctx.tools.text_search({ text: "a\\nb", query: "b" })`, context: { availableTools: ["text_search"] } });
      expect(run.result?.success).toBe(true);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("killed during a slow smoke run: the migration is FAILED after restart and nothing changed", async () => {
    const root = legacyCopy();
    const { dataDir, migrationId: running } = await killMidMigration(root);
    const server = await startWithLegacy(root, { dataDir });
    const c = clients(server);
    try {
      const [m] = (await c.migration.listMigrations({ filter: { toolName: "slow" } })).migrations;
      expect(m).toMatchObject({ migrationId: running, status: MigrationState.FAILED, hasBackup: false });
      expect(m.errors.join()).toContain("the server stopped while this migration was in progress");
      expect((await failure(c.tools.getTool({ name: "slow" }))).reason).toBe("TOOL_NOT_FOUND");
      expect((await c.migration.getMigrationStatus({})).status).toMatchObject({ inProgress: 0n, failed: 1n, registeredTools: 0n });
      expect(server.logs()).toContain("migration interrupted by a restart marked failed");
      // The tool can be migrated again.
      writeTool(root, "slow", "return 1;");
      expect((await c.migration.migrateTool({ toolName: "slow", config: config() })).result?.status).toBe(MigrationState.COMPLETED);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it("killed inside the finishing transaction of a replacing migration: the old tool stays", async () => {
    const root = legacyCopy();
    let server = await startWithLegacy(root);
    let c = clients(server);
    await c.migration.migrateTool({ toolName: "json_transform", config: config() });
    const old = (await c.tools.getTool({ name: "json_transform" })).tool!;
    expect(await server.stop()).toBe(0);

    server = await startWithLegacy(root, { dataDir: server.dataDir, env: { [HOOK]: "30000" } });
    c = clients(server);
    const pending = c.migration.migrateTool({ toolName: "json_transform", config: config({ force: true }) }).catch((e) => e);
    await waitForLog(server, (l) => l.includes("holding the transaction open"));
    await server.stop("SIGKILL");
    await pending;

    server = await startWithLegacy(root, { dataDir: server.dataDir });
    c = clients(server);
    try {
      expect((await c.tools.getTool({ name: "json_transform" })).tool).toEqual(old);
      const ms = (await c.migration.listMigrations({ filter: { toolName: "json_transform" } })).migrations;
      expect(ms.map((m) => m.status)).toEqual([MigrationState.FAILED, MigrationState.COMPLETED]);
      expect(ms[0].hasBackup).toBe(false);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it("killed inside a rollback: the migration stays applied, and the rollback works after restart", async () => {
    const root = legacyCopy();
    let server = await startWithLegacy(root);
    let c = clients(server);
    await c.migration.migrateTool({ toolName: "word_count", config: config() });
    await c.migration.migrateTool({ toolName: "word_count", config: config({ force: true }) });
    const current = (await c.tools.getTool({ name: "word_count" })).tool!;
    expect(await server.stop()).toBe(0);

    server = await startWithLegacy(root, { dataDir: server.dataDir, env: { [HOOK]: "30000" } });
    c = clients(server);
    const pending = c.migration.rollbackTool({ toolName: "word_count" }).catch((e) => e);
    await waitForLog(server, (l) => l.includes('"what":"rollback"'));
    await server.stop("SIGKILL");
    await pending;

    server = await startWithLegacy(root, { dataDir: server.dataDir });
    c = clients(server);
    try {
      expect((await c.tools.getTool({ name: "word_count" })).tool).toEqual(current);
      expect((await c.migration.listMigrations({ filter: { toolName: "word_count" } })).migrations.map((m) => m.status)).toEqual([MigrationState.COMPLETED, MigrationState.COMPLETED]);
      const rb = (await c.migration.rollbackTool({ toolName: "word_count" })).result!;
      expect(rb.action).toBe(RollbackAction.RESTORED_PREVIOUS);
      expect((await c.tools.getTool({ name: "word_count" })).tool?.toolId).not.toBe(current.toolId);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);
});
