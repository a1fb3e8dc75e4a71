// A migration whose finishing transaction a full disk refuses, and then its FAILED mark too, stayed
// IN_PROGRESS: every later MigrateTool or RollbackTool of that tool was MIGRATION_IN_PROGRESS until
// a restart, room or not. The next change of the tool now marks it FAILED and goes on. Needs a
// small tmpfs for the data directory (root with mount rights); skipped elsewhere.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const mnt = mkdtempSync(join(tmpdir(), "se-fulldisk-"));
const mounted = process.getuid?.() === 0 && spawnSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt]).status === 0;
const filler = join(mnt, "filler");
afterAll(() => {
  if (mounted) spawnSync("umount", [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** Fills the file system but for `room` bytes. */
function fillLeaving(room: number): void {
  const { bavail, bsize } = statfsSync(mnt);
  const fd = openSync(filler, "w");
  try {
    const want = bavail * bsize - room;
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let done = 0; done < want; done += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, want - done));
  } finally {
    closeSync(fd);
  }
}

it.skipIf(!mounted)("a migration left IN_PROGRESS by a full disk does not block the tool once there is room", async () => {
  const server = await startWithLegacy(legacyCopy(), { dataDir: join(mnt, "data") });
  try {
    const { migration } = clients(server);
    const migrate = () => migration.migrateTool({ toolName: "text_search", config: config({ force: true }) });
    // Less room each round than a migration's end needs but enough for its start: where that lies
    // depends on how the -wal has grown, so the rooms are tried in turn until one leaves the row.
    let left = false;
    for (let room = 8192; room <= 128 * 1024 && !left; room += 4096) {
      fillLeaving(room);
      const outcome = await migrate().then(() => "ok", (e) => failure(Promise.reject(e)).then((f) => f.code));
      left = (await migration.getMigrationStatus({})).status!.inProgress === 1n;
      rmSync(filler);
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
    rmSync(filler, { force: true });
    await server.stop("SIGKILL");
  }
});
