// A migration's describe and smoke runs are the calling principal's executions: they count against
// its concurrent executions at that level like its RunScript calls, so ValidateMigration and
// MigrateTool are no way around the limit. A registered tool called from a running script still
// runs inside its caller's slot.
import { afterEach, beforeAll, expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { untilMetrics } from "../helpers/until.ts";
import { bearer, config, legacyServer, principalsToml, writeTool } from "./helpers.ts";

const OPS = { headers: bearer("ops") };
const SOLO = { headers: bearer("solo") };
const TOML = principalsToml({ name: "ops", level: "development", permissions: ["admin"] }, { name: "solo", level: "safe", permissions: ["migrate"], maxConcurrent: 1 });

const c = legacyServer({
  toml: TOML,
  args: ["--set", "pool.workers=3"],
  prepare: (root) => writeTool(root, "nap", "if (args.ms) await new Promise((r) => setTimeout(r, args.ms)); return 1;", { type: "object", properties: { ms: { type: "integer" } } }),
});
beforeAll(async () => {
  expect((await c.migration.migrateTool({ toolName: "nap", config: config() }, OPS)).result?.status).toBe(MigrationState.COMPLETED);
});

/** Until solo's script is running on a worker (its slot is taken when the engine accepts it). */
const started = () => untilMetrics(c.scripts, "solo's script runs", (m) => m.busyIsolates >= 1n, OPS);
/**
 * Until an execution has run for 300 ms straight: the validation's smoke run, not the describe run
 * before it (a few ms), between which solo's slot is free.
 */
function smokeRunning() {
  let since: number | undefined;
  return untilMetrics(c.scripts, "the smoke run has held a worker for 300 ms", (m) => {
    if (m.busyIsolates < 1n) since = undefined;
    else since ??= Date.now();
    return since !== undefined && Date.now() - since >= 300;
  }, OPS);
}
// Calls a test left running end before the next test starts (they would hold solo's slot).
const pending: Promise<unknown>[] = [];
afterEach(async () => {
  await Promise.allSettled(pending.splice(0));
});

it("a validation while the caller's one allowed execution runs is RESOURCE_EXCEEDED, like a second script", async () => {
  // Long enough to outlast the refused validation and the other principal's, even on a loaded machine.
  const script = c.scripts.runScript({ source: "export default async () => { await new Promise((r) => setTimeout(r, 5000)); return 1; }" }, SOLO);
  pending.push(script);
  await started();
  const f = await failure(c.migration.validateMigration({ toolName: "nap" }, SOLO));
  expect([f.code, f.reason]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED"]);
  expect(f.err.rawMessage).toContain("caller solo already has 1 execution (limit 1: its max_concurrent)");
  // Another principal is not held back by solo's limit.
  expect((await c.migration.validateMigration({ toolName: "nap" }, OPS)).result?.status).toBe(ValidationStatus.PASSED);
  expect((await script).result?.success).toBe(true);
  // The slot is free again: the validation runs.
  expect((await c.migration.validateMigration({ toolName: "nap" }, SOLO)).result?.status).toBe(ValidationStatus.PASSED);
});

it("a smoke run holds the caller's slot: its script meanwhile is refused, and a migration is too", async () => {
  const validation = { checks: ["smoke_run"], smokeRunArguments: { ms: 5000 }, smokeRunTimeout: { seconds: 8n } };
  const slow = c.migration.validateMigration({ toolName: "nap", validation }, SOLO);
  pending.push(slow);
  await smokeRunning();
  const f = await failure(c.scripts.runScript({ source: "1 + 1" }, SOLO));
  expect(f.reason).toBe("RESOURCE_EXCEEDED");
  const m = await failure(c.migration.migrateTool({ toolName: "nap", config: config({ force: true, dryRun: true }) }, SOLO));
  expect(m.reason).toBe("RESOURCE_EXCEEDED");
  expect((await slow).result?.status).toBe(ValidationStatus.PASSED);
});

it("a registered tool called from the caller's script runs within the script's slot", async () => {
  const r = await c.scripts.runScript({ source: "export default async (a, ctx) => ctx.tools.nap({ ms: 10 })", context: { availableTools: ["nap"] } }, SOLO);
  expect(r.result?.error?.message ?? "").toBe("");
  expect(r.result?.success).toBe(true);
});
