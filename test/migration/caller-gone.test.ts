// A caller that goes away (its deadline passes, or it cancels) while a migration or a validation
// runs tool code: the engine work stops with the call, nothing is applied after the caller was
// told the call failed, and the migration is dropped like one the engine could not finish (its
// MigrationStarted still gets a MigrationCompleted, success false).
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { until, untilMetrics } from "../helpers/until.ts";
import { collectEvents, config, legacyServer, SecurityLevel, writeTool } from "./helpers.ts";

const MS = { type: "object", properties: { ms: { type: "integer" } } };

const c = legacyServer({
  // One worker: an abandoned smoke run left going would hold it.
  args: ["--set", "pool.workers=1"],
  cleanExit: false,
  prepare: (root) => {
    writeTool(root, "waits", "await new Promise((r) => setTimeout(r, 3000)); return 1;", MS);
    writeTool(root, "spins", "const end = Date.now() + (args.ms ?? 1); let n = 0; while (Date.now() < end) n++; return n;", MS);
  },
});

it("MigrateTool past the caller's deadline: nothing is registered or recorded, and its MigrationCompleted says so", async () => {
  const events = await collectEvents(c.events, ["migration_started", "migration_completed"]);
  try {
    const f = await failure(c.migration.migrateTool({ toolName: "waits", config: config({ smokeTimeoutMs: 20_000 }) }, { timeoutMs: 800 }));
    expect(f.code).toBe("DeadlineExceeded");
    // The migration's end, then no execution left: before, the smoke run went on for its 3 s and the
    // tool was registered when it ended (and only then was MigrationCompleted sent, success true).
    const completed = () => events.seen.filter((e) => e.case === "migrationCompleted").map((e) => e.value);
    await until("the migration's MigrationCompleted is published", () => completed().length > 0, { seen: () => events.seen });
    await untilMetrics(c.scripts, "no smoke run is left running", (m) => m.busyIsolates === 0n);
    expect((await failure(c.tools.getTool({ name: "waits" }))).reason).toBe("TOOL_NOT_FOUND");
    const { migrations } = await c.migration.listMigrations({ filter: { toolName: "waits" } });
    expect(migrations).toEqual([]);
    expect(completed()).toHaveLength(1);
    expect(completed()[0]).toMatchObject({ toolName: "waits", success: false });
    expect(completed()[0]!.result?.errors.at(-1)).toMatch(/^the migration did not finish, nothing was changed: .*cancelled/);
    // A retry without force is not TOOL_EXISTS.
    const again = (await c.migration.migrateTool({ toolName: "waits", config: config({ smokeTimeoutMs: 20_000 }) })).result!;
    expect(again.status).toBe(MigrationState.COMPLETED);
  } finally {
    events.stop();
  }
}, 30_000);

it("ValidateMigration abandoned by its caller stops its smoke run: the worker is free again", async () => {
  await c.migration.migrateTool({ toolName: "spins", config: config({ level: SecurityLevel.DEVELOPMENT, smokeArgs: { ms: 1 } }) });
  // A smoke run spinning 20 s on the one worker; its caller gives up after 0.8 s.
  const SPIN_MS = 20_000;
  const validation = { checks: ["smoke_run"], smokeRunArguments: { ms: SPIN_MS }, smokeRunTimeout: { seconds: 60n } };
  const t0 = Date.now();
  const f = await failure(c.migration.validateMigration({ toolName: "spins", validation }, { timeoutMs: 800 }));
  expect(f.code).toBe("DeadlineExceeded");
  const run = await c.scripts.runScript({ source: "1 + 1" });
  expect(run.result?.success).toBe(true);
  // Before, the script waited behind the whole smoke run; now it runs long before half of it is
  // over, however slow the machine (a worker restart included).
  expect(Date.now() - t0).toBeLessThan(SPIN_MS / 2);
}, 60_000);
