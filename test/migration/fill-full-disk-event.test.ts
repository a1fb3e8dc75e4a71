// An auto_fix filling a missing inputSchema that the store refuses (a full disk) changed nothing
// and published nothing, while a rollback refused so publishes a MigrationCompleted with success
// false. The fill now does the same: success false, the migration still COMPLETED and the fill's
// error last, metadata failed_change "auto_fix" (a rollback's says "rollback"), so that
// `scriptengine events` says "auto_fix failed", not "rollback failed". Needs a small tmpfs for the data directory (root with mount rights); skipped elsewhere.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { ServiceEventSchema } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { summary } from "../../src/cli/commands/events.ts";
import { failure } from "../helpers/errors.ts";
import { until } from "../helpers/until.ts";
import { smallDisk } from "./full-disk.ts";
import { clients, collectEvents, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const disk = smallDisk();

it.skipIf(!disk.mounted)("an auto_fix fill a full disk refuses publishes MigrationCompleted with success false", async () => {
  const root = legacyCopy();
  writeFileSync(join(root, "no_schema.js"), `export const name = "no_schema";\nexport const description = "d";\nexport const version = "1";\nexport async function call(args) { return String(args.city); }\n`);
  const server = await startWithLegacy(root, { dataDir: join(disk.mnt, "data") });
  try {
    const c = clients(server);
    const events = await collectEvents(c.events, ["migration_completed"]);
    const m = (await c.migration.migrateTool({ toolName: "no_schema", config: config() })).result!;
    await until("the migration's event arrived", () => events.seen.length === 1);
    disk.fillLeaving(0);
    const refused = await failure(c.migration.validateMigration({ toolName: "no_schema", autoFix: true }));
    disk.free();
    expect(refused.code).toBe("ResourceExhausted");
    await until("the failed fill's event arrived", () => events.seen.length === 2, {
      seen: () => events.seen.map((e) => e.case === "migrationCompleted" && [e.value.success, e.value.result?.status]),
    });
    const done = events.seen[1];
    expect(done.case).toBe("migrationCompleted");
    if (done.case !== "migrationCompleted") return;
    expect(done.value).toMatchObject({ toolName: "no_schema", migrationId: m.migrationId, success: false });
    expect(done.value.result?.status).toBe(MigrationState.COMPLETED);
    expect(done.value.result?.errors.at(-1)).toMatch(/^auto_fix filling inputSchema failed, nothing was changed: /);
    expect(done.value.result?.metadata.failed_change?.kind).toEqual({ case: "stringValue", value: "auto_fix" });
    expect(summary(create(ServiceEventSchema, { event: done }))).toBe(`no_schema auto_fix failed migration ${m.migrationId}`);
    // Nothing changed: the tool still has no schema, and with room the fill goes through.
    expect((await c.tools.getTool({ name: "no_schema" })).tool?.inputSchema).toBeUndefined();
    const fixed = (await c.migration.validateMigration({ toolName: "no_schema", autoFix: true })).result!;
    expect(fixed.autoFixResults!.applied.join()).toContain("filled the missing inputSchema");
    await until("the fill's event arrived", () => events.seen.length === 3);
    expect(events.seen[2]?.case === "migrationCompleted" && events.seen[2].value.success).toBe(true);
    events.stop();
  } finally {
    disk.free();
    await server.stop("SIGKILL");
  }
}, 60_000);
