// A migration interrupted by a crash: subscribers saw its MigrationStarted, so after the restart
// that marks it FAILED they also get its MigrationCompleted (success false), once per recovered row.
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { until } from "../helpers/until.ts";
import { clients, collectEvents, killMidMigration, legacyCopy, startWithLegacy } from "./helpers.ts";

it("the restarted server publishes a MigrationCompleted for the migration the crash cut off", async () => {
  const root = legacyCopy();
  const { dataDir, migrationId: running } = await killMidMigration(root);
  const server = await startWithLegacy(root, { dataDir });
  const c = clients(server);
  const events = await collectEvents(c.events, ["migration_completed"], 0n);
  try {
    const seen = events.seen;
    await until("the recovered migration's MigrationCompleted is replayed", () => seen.length > 0);
    expect(seen).toHaveLength(1);
    const done = seen[0]!;
    expect(done.case).toBe("migrationCompleted");
    if (done.case !== "migrationCompleted") return;
    expect(done.value).toMatchObject({ toolName: "slow", migrationId: running, success: false });
    expect(done.value.result?.status).toBe(MigrationState.FAILED);
    expect(done.value.result?.errors.at(-1)).toContain("the server stopped while this migration was in progress");
  } finally {
    events.stop();
    expect(await server.stop()).toBe(0);
  }
}, 60_000);
