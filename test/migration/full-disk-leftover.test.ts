// A migration whose finishing transaction a full disk refuses, and then its FAILED mark too, stayed
// IN_PROGRESS: every later MigrateTool or RollbackTool of that tool was MIGRATION_IN_PROGRESS until
// a restart, room or not. The next change of the tool now marks it FAILED and goes on. Needs a
// small tmpfs for the data directory (root with mount rights); skipped elsewhere.
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { smallDisk } from "./full-disk.ts";
import { clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const disk = smallDisk();

it.skipIf(!disk.mounted)("a migration left IN_PROGRESS by a full disk does not block the tool once there is room", async () => {
  const server = await startWithLegacy(legacyCopy(), { dataDir: join(disk.mnt, "data") });
  try {
    const { migration } = clients(server);
    const migrate = () => migration.migrateTool({ toolName: "text_search", config: config({ force: true }) });
    // Less room each round than a migration's end needs but enough for its start: where that lies
    // depends on how the -wal has grown, so the rooms are tried in turn until one leaves the row.
    let left = false;
    for (let room = 8192; room <= 128 * 1024 && !left; room += 4096) {
      disk.fillLeaving(room);
      const outcome = await migrate().then(() => "ok", (e) => failure(Promise.reject(e)).then((f) => f.code));
      left = (await migration.getMigrationStatus({})).status!.inProgress === 1n;
      disk.free();
      if (left) expect(outcome).toBe("ResourceExhausted");
    }
    expect(left).toBe(true);
    const again = await migrate();
    expect(again.result?.status).toBe(MigrationState.COMPLETED);
    const status = (await migration.getMigrationStatus({})).status!;
    expect(status.inProgress).toBe(0n);
    const failed = await migration.listMigrations({ filter: { statuses: [MigrationState.FAILED] } });
    expect(failed.migrations.map((m) => m.errors.at(-1))).toContain("the store could not record this migration's end; nothing was applied");
    expect((await migration.rollbackTool({ toolName: "text_search" })).result?.success).toBe(true);
  } finally {
    disk.free();
    await server.stop("SIGKILL");
  }
});
