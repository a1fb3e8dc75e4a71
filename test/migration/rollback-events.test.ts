// Every migration step publishes its event: a rollback a MigrationCompleted for the migration it
// undid (status ROLLED_BACK, saying what it restored), an auto-fix re-migration its
// MigrationStarted and MigrationCompleted, an auto-fix filling a missing schema a MigrationCompleted
// for the tool's migration; a repeated rollback and a plain validation publish nothing.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { MigrationResultSchema, MigrationState, RollbackAction, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { until } from "../helpers/until.ts";
import { collectEvents, config, legacyServer } from "./helpers.ts";

const c = legacyServer();
let events: Awaited<ReturnType<typeof collectEvents>>;
beforeAll(async () => {
  events = await collectEvents(c.events, ["migration_started", "migration_completed"]);
});
afterAll(() => events.stop());

const completed = (e: ServiceEvent["event"]) => (e.case === "migrationCompleted" ? e.value : undefined);
const idOf = (e: ServiceEvent["event"]) => (e.case === "migrationStarted" || e.case === "migrationCompleted" ? e.value.migrationId : undefined);
/** A result's metadata as JSON. */
const metadataOf = (r: MigrationResult) => (toJson(MigrationResultSchema, r) as { metadata?: Record<string, unknown> }).metadata;

/** The events published from `from` on, once the one for `migrationId` has completed. */
async function through(from: number, migrationId: string) {
  await until(`${migrationId} is completed`, () => events.seen.slice(from).some((e) => completed(e)?.migrationId === migrationId), { seen: () => events.seen.length });
  return events.seen.slice(from);
}

/** `migrate`'s result, once its events have arrived (so later ones can be told apart). */
async function settled<T extends { migrationId: string }>(migrate: Promise<{ result?: T }>): Promise<T> {
  const r = (await migrate).result!;
  await through(0, r.migrationId);
  return r;
}

/** The events since `from`, marked off by a dry run (its own two events left out). */
async function settledSince(from: number) {
  const dry = (await c.migration.migrateTool({ toolName: "text_search", config: config({ dryRun: true, force: true }) })).result!;
  return (await through(from, dry.migrationId)).filter((e) => idOf(e) !== dry.migrationId);
}

const source = (version: string, name = "rb_ev") =>
  `export const name = "${name}";\nexport const description = "d";\nexport const version = "${version}";\nexport const inputSchema = { type: "object" };\nexport async function call() { return "${version}"; }\n`;

it("a rollback publishes MigrationCompleted for the migration it undid: ROLLED_BACK, saying what it restored", async () => {
  writeFileSync(join(c.root, "rb_ev.js"), source("1.0.0"));
  const first = await settled(c.migration.migrateTool({ toolName: "rb_ev", config: config() }));
  writeFileSync(join(c.root, "rb_ev.js"), source("2.0.0"));
  const second = await settled(c.migration.migrateTool({ toolName: "rb_ev", config: config({ force: true }) }));

  let from = events.seen.length;
  const back = (await c.migration.rollbackTool({ toolName: "rb_ev", config: { reason: "2.0.0 misbehaves" } })).result!;
  expect(back.action).toBe(RollbackAction.RESTORED_PREVIOUS);
  const [restored] = (await through(from, second.migrationId)).map(completed);
  expect(restored).toMatchObject({ toolName: "rb_ev", migrationId: second.migrationId, success: true });
  const r = restored!.result!;
  expect(r.status).toBe(MigrationState.ROLLED_BACK);
  expect(r.newToolId).toBe(second.newToolId);
  expect(metadataOf(r)).toMatchObject({
    rollback_action: "restored_previous",
    rollback_reason: "2.0.0 misbehaves",
    restored_tool_id: first.newToolId,
    restored_version: "1.0.0",
  });

  from = events.seen.length;
  const removed = (await c.migration.rollbackTool({ config: { migrationId: first.migrationId } })).result!;
  expect(removed.action).toBe(RollbackAction.REMOVED_TOOL);
  const [gone] = (await through(from, first.migrationId)).map(completed);
  expect(gone).toMatchObject({ migrationId: first.migrationId, success: true });
  expect(gone!.result!.status).toBe(MigrationState.ROLLED_BACK);
  expect(metadataOf(gone!.result!)).toMatchObject({ rollback_action: "removed_tool" });
  expect(gone!.result!.metadata.restored_tool_id).toBeUndefined();

  // Rolled back already: NOTHING_TO_DO changes nothing, and publishes nothing.
  from = events.seen.length;
  expect((await c.migration.rollbackTool({ config: { migrationId: first.migrationId } })).result!.action).toBe(RollbackAction.NOTHING_TO_DO);
  expect(await settledSince(from)).toEqual([]);
}, 60_000);

it("auto_fix re-migrating publishes that migration's events; a plain validation publishes none", async () => {
  writeFileSync(join(c.root, "rb_fix.js"), source("1.0.0", "rb_fix"));
  await settled(c.migration.migrateTool({ toolName: "rb_fix", config: config() }));
  writeFileSync(join(c.root, "rb_fix.js"), source("1.1.0", "rb_fix"));

  let from = events.seen.length;
  await c.migration.validateMigration({ toolName: "rb_fix" });
  expect(await settledSince(from)).toEqual([]);

  from = events.seen.length;
  const fixed = (await c.migration.validateMigration({ toolName: "rb_fix", autoFix: true })).result!;
  const id = /migration (mig-[\w-]+)/.exec(fixed.autoFixResults!.applied.join("\n"))?.[1];
  expect(id).toBeDefined();
  const seen = await through(from, id!);
  expect(seen.map((e) => [e.case, idOf(e)])).toEqual([
    ["migrationStarted", id],
    ["migrationCompleted", id],
  ]);
  expect(completed(seen[1])).toMatchObject({ toolName: "rb_fix", success: true });
}, 60_000);

it("auto_fix filling a missing schema publishes MigrationCompleted for the tool's migration, and records what it filled", async () => {
  writeFileSync(join(c.root, "rb_schema.js"), `export const name = "rb_schema";\nexport const description = "d";\nexport const version = "1";\nexport async function call(args) { return String(args.city); }\n`);
  const migrated = await settled(c.migration.migrateTool({ toolName: "rb_schema", config: config() }));

  let from = events.seen.length;
  const fixed = (await c.migration.validateMigration({ toolName: "rb_schema", autoFix: true })).result!;
  expect(fixed.autoFixResults!.applied.join()).toContain("filled the missing inputSchema");
  const seen = await through(from, migrated.migrationId);
  expect(seen.map((e) => [e.case, idOf(e)])).toEqual([["migrationCompleted", migrated.migrationId]]);
  const done = completed(seen[0])!;
  expect(done).toMatchObject({ toolName: "rb_schema", success: true });
  expect(done.result!.status).toBe(MigrationState.COMPLETED);
  expect(done.result!.newToolId).toBe(migrated.newToolId);
  expect(metadataOf(done.result!)).toMatchObject({ auto_fix: "filled inputSchema" });

  // The migration's record says so too: the rollback's result is built on it.
  from = events.seen.length;
  await c.migration.rollbackTool({ toolName: "rb_schema" });
  const [undone] = (await through(from, migrated.migrationId)).map(completed);
  expect(metadataOf(undone!.result!)).toMatchObject({ auto_fix: "filled inputSchema", rollback_action: "removed_tool" });
}, 60_000);
