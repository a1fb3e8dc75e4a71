// MigrationResult.metadata holds the caller's MigrationConfig.metadata beside the engine's own
// keys. A caller key named like one of those was silently overwritten in the result (and its
// migration_completed event) while ListMigrations kept the caller's value: such a key is now
// refused. And a migration whose source was never read, or never loaded, reported a made-up tool_version "1.0.0".
import { describe, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { MigrationState, RollbackAction, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { ENGINE_METADATA_KEYS } from "../../src/migration/migrator.ts";
import { failure } from "../helpers/errors.ts";
import { until } from "../helpers/until.ts";
import { collectEvents, config, legacyServer } from "./helpers.ts";

const c = legacyServer();
const migrate = (toolName: string, cfg = config()) => c.migration.migrateTool({ toolName, config: cfg }).then((r) => r.result!);
const text = (r: MigrationResult, key: string) => r.metadata[key]?.kind.value;

describe("caller metadata and the engine's keys", () => {
  it.each(["security_level", "source", "tool_version", "rollback_action", "auto_fix"])("MigrateTool refuses the engine's key %s, naming it and the reserved keys", async (key) => {
    const f = await failure(c.migration.migrateTool({ toolName: "word_count", config: config({ metadata: { owner: "me", [key]: "mine" } }) }));
    const field = `config.metadata[${JSON.stringify(key)}]`;
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", field]);
    expect(f.err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([field]);
    expect(f.err.rawMessage).toContain("source, source_hash, security_level, dry_run, tool_version");
    expect((await c.migration.listMigrations({ filter: { toolName: "word_count" } })).migrations).toEqual([]);
  });

  it("MigrateDirectory refuses one too, before migrating anything", async () => {
    const f = await failure((async () => {
      for await (const _ of c.migration.migrateDirectory({ config: config({ dryRun: true, metadata: { checks_run: "x" } }) }));
    })());
    expect([f.code, f.metadata.field]).toEqual(["InvalidArgument", 'config.metadata["checks_run"]']);
  });

  it("the result, its events and ListMigrations agree on the caller's keys, and the engine's are all reserved", async () => {
    const caller = { owner: "search-team", ticket: "OPS-1" };
    const seen = await collectEvents(c.events, ["migration_completed"]);
    const first = await migrate("text_search", config({ metadata: caller }));
    const second = await migrate("text_search", config({ metadata: caller, force: true }));
    expect([first.status, second.status]).toEqual([MigrationState.COMPLETED, MigrationState.COMPLETED]);
    const rolled = (await c.migration.rollbackTool({ toolName: "text_search", config: { reason: "test" } })).result!;
    expect(rolled.action).toBe(RollbackAction.RESTORED_PREVIOUS);
    await until("the three migration_completed events arrived", () => seen.seen.length >= 3, { seen: () => seen.seen.length });
    seen.stop();
    const events = seen.seen.map((e) => (e.case === "migrationCompleted" ? e.value.result : undefined)).filter((r) => r !== undefined);
    expect(events.map((r) => r.status)).toEqual([MigrationState.COMPLETED, MigrationState.COMPLETED, MigrationState.ROLLED_BACK]);

    const listed = (await c.migration.listMigrations({ filter: { toolName: "text_search" } })).migrations;
    for (const r of [first, second, ...events]) {
      for (const [k, v] of Object.entries(caller)) expect(text(r, k)).toBe(v);
      expect(listed.find((m) => m.migrationId === r.migrationId)?.metadata).toEqual(caller);
      const engines = Object.keys(r.metadata).filter((k) => !(k in caller));
      expect(engines.filter((k) => !ENGINE_METADATA_KEYS.includes(k))).toEqual([]);
    }
    // Every kind of key these results hold is among them: a replacement's, a backup's and a rollback's.
    const keys = new Set(events.flatMap((r) => Object.keys(r.metadata)));
    for (const k of ["source", "tool_version", "replaced_tool_id", "backup_ids", "rollback_action", "restored_tool_id"]) expect(keys).toContain(k);
  });
});

describe("tool_version", () => {
  it("is left out when no source was read, as source_hash is empty", async () => {
    const r = await migrate("no_such_tool", config({ dryRun: true }));
    expect(r.status).toBe(MigrationState.DRY_RUN);
    expect(r.validationResults[0].checks[0]).toMatchObject({ name: "source_readable" });
    expect(text(r, "source_hash")).toBe("");
    expect(r.metadata).not.toHaveProperty("tool_version");
    const failed = await migrate("no_such_tool");
    expect(failed.status).toBe(MigrationState.FAILED);
    expect(failed.metadata).not.toHaveProperty("tool_version");
  });

  it("is left out when the source was read but the module never loaded (it does not compile, or throws as it loads)", async () => {
    const broken = await c.migrateFile("broken_syntax.js", "export const name = 'broken_syntax';\nexport const version = '2.0.0';\nexport function call( {\n");
    expect(broken.errors.join()).toContain("does not compile");
    expect(text(broken, "source_hash")).toMatch(/^[0-9a-f]{64}$/);
    expect(broken.metadata).not.toHaveProperty("tool_version");
    const throws = await c.migrateFile("throws_loading.js", "export const name = 'throws_loading';\nexport const version = '2.0.0';\nthrow new Error('no');\nexport function call() { return 1; }\n");
    expect(throws.errors.join()).toContain("the module failed to load");
    expect(throws.metadata).not.toHaveProperty("tool_version");
  });

  it("is the tool's when its source was read", async () => {
    const r = await migrate("json_transform", config({ dryRun: true }));
    expect(text(r, "tool_version")).toBe("0.3.1");
    expect(text(r, "source_hash")).toMatch(/^[0-9a-f]{64}$/);
  });
});
