// A RollbackTool naming (config.migration_id) a migration a full disk left IN_PROGRESS: the rollback
// first marks that migration FAILED (nothing of it was applied), and its answer must say FAILED,
// not "in progress" from the row as it was read before. Needs a small tmpfs (root with mount
// rights); skipped elsewhere.
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState, RollbackAction } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { smallDisk } from "./full-disk.ts";
import { clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const disk = smallDisk();

it.skipIf(!disk.mounted)("a rollback of a migration a full disk left in progress answers with it failed", async () => {
  const server = await startWithLegacy(legacyCopy(), { dataDir: join(disk.mnt, "data") });
  try {
    const { migration } = clients(server);
    // As in full-disk-leftover.test.ts: rooms tried in turn until one leaves an IN_PROGRESS row.
    let leftId = "";
    for (let room = 8192; room <= 128 * 1024 && !leftId; room += 4096) {
      disk.fillLeaving(room);
      await migration.migrateTool({ toolName: "text_search", config: config({ force: true }) }).catch(() => {});
      const left = await migration.listMigrations({ filter: { statuses: [MigrationState.IN_PROGRESS] } });
      leftId = left.migrations[0]?.migrationId ?? "";
      disk.free();
    }
    expect(leftId).not.toBe("");
    const { result } = await migration.rollbackTool({ toolName: "text_search", config: { migrationId: leftId } });
    expect(result?.action).toBe(RollbackAction.NOTHING_TO_DO);
    expect(result?.messages.join(" ")).toContain(`migration ${leftId} is failed`);
    const failed = await migration.listMigrations({ filter: { statuses: [MigrationState.FAILED] } });
    expect(failed.migrations.map((m) => m.migrationId)).toContain(leftId);
  } finally {
    disk.free();
    await server.stop("SIGKILL");
  }
});
