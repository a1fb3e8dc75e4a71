// A rollback the store refuses once it has begun changing the tool (a full disk) changed nothing:
// it publishes a MigrationCompleted with success false, the migration still COMPLETED and the
// rollback's error last. Needs a small tmpfs for the data directory (root with mount rights);
// skipped elsewhere.
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { until } from "../helpers/until.ts";
import { smallDisk } from "./full-disk.ts";
import { clients, collectEvents, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const disk = smallDisk();

it.skipIf(!disk.mounted)("a rollback a full disk refuses publishes MigrationCompleted with success false", async () => {
  const server = await startWithLegacy(legacyCopy(), { dataDir: join(disk.mnt, "data") });
  try {
    const c = clients(server);
    const events = await collectEvents(c.events, ["migration_completed"]);
    const m = (await c.migration.migrateTool({ toolName: "text_search", config: config() })).result!;
    await until("the migration's event arrived", () => events.seen.length === 1);
    disk.fillLeaving(0);
    const refused = await failure(c.migration.rollbackTool({ toolName: "text_search" }));
    disk.free();
    expect(refused.code).toBe("ResourceExhausted");
    await until("the failed rollback's event arrived", () => events.seen.length === 2, {
      seen: () => events.seen.map((e) => e.case === "migrationCompleted" && [e.value.success, e.value.result?.status]),
    });
    const done = events.seen[1];
    expect(done.case).toBe("migrationCompleted");
    if (done.case !== "migrationCompleted") return;
    expect(done.value).toMatchObject({ toolName: "text_search", migrationId: m.migrationId, success: false });
    expect(done.value.result?.status).toBe(MigrationState.COMPLETED);
    expect(done.value.result?.errors.at(-1)).toMatch(/^rollback failed, nothing was changed: /);
    // Nothing changed: the tool is still the migration's, and with room the rollback goes through.
    expect((await c.tools.getTool({ name: "text_search" })).tool?.toolId).toBe(m.newToolId);
    expect((await c.migration.rollbackTool({ toolName: "text_search" })).result?.success).toBe(true);
    events.stop();
  } finally {
    disk.free();
    await server.stop("SIGKILL");
  }
}, 60_000);
