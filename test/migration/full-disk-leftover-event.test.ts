// A migration whose finishing transaction a full disk refused, and then its FAILED mark too, threw
// that second refusal out of MigrateTool before publishing its MigrationCompleted: subscribers had
// its MigrationStarted and no end until the tool's next change (or a restart) settled the row. Its
// MigrationCompleted (success false) is now published at once, and the settling does not publish a
// second one. Needs a small tmpfs for the data directory (root with mount rights); skipped elsewhere.
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { until } from "../helpers/until.ts";
import { smallDisk } from "./full-disk.ts";
import { clients, collectEvents, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const disk = smallDisk();

it.skipIf(!disk.mounted)("a migration left IN_PROGRESS by a full disk has its MigrationCompleted at once, and only one", async () => {
  const server = await startWithLegacy(legacyCopy(), { dataDir: join(disk.mnt, "data") });
  try {
    const c = clients(server);
    const events = await collectEvents(c.events, ["migration_started", "migration_completed"]);
    const ends = (id: string) => events.seen.filter((e) => e.case === "migrationCompleted" && e.value.migrationId === id);
    const migrate = () => c.migration.migrateTool({ toolName: "text_search", config: config({ force: true }) }).catch(() => undefined);
    // As in full-disk-leftover.test.ts: rooms are tried in turn until one leaves the row IN_PROGRESS.
    let leftId: string | undefined;
    for (let room = 8192; room <= 128 * 1024 && !leftId; room += 4096) {
      disk.fillLeaving(room);
      await migrate();
      leftId = (await c.migration.listMigrations({ filter: { statuses: [MigrationState.IN_PROGRESS] } })).migrations[0]?.migrationId;
      disk.free();
    }
    expect(leftId).toBeDefined();
    // Its end was published by the call that failed, before anything settled the row.
    await until("the left migration's end was published", () => ends(leftId!).length === 1, { seen: () => events.seen.map((e) => e.case) });
    const end = ends(leftId!)[0]!;
    expect(end.case === "migrationCompleted" && [end.value.success, end.value.result?.status]).toEqual([false, MigrationState.FAILED]);
    // The next change settles it (FAILED) without a second MigrationCompleted.
    const again = (await c.migration.migrateTool({ toolName: "text_search", config: config({ force: true }) })).result!;
    await until("the next migration's end was published", () => ends(again.migrationId).length === 1);
    expect(ends(leftId!)).toHaveLength(1);
    expect((await c.migration.getMigrationStatus({})).status!.inProgress).toBe(0n);
    events.stop();
  } finally {
    disk.free();
    await server.stop("SIGKILL");
  }
}, 120_000);
