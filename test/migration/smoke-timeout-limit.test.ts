// A smoke run that times out says the limit it hit: a busy loop stopped by its CPU-time budget
// (the level's share of its wall time: 50 % at Safe) was reported as timed out after the wall
// time, which it never reached.
import { expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, config, legacyServer, writeTool } from "./helpers.ts";

// A 10 % CPU share (resource_limits.max_cpu_percentage): the spinning smoke run reaches its CPU budget
// before its wall time even on a loaded machine; at Safe's 50 % it needed more than half a core, which a
// loaded machine did not give it.
const c = legacyServer({
  args: ["--set", "resource_limits.max_cpu_percentage=10"],
  cleanExit: false,
  timeout: 60_000,
  prepare: (root) => {
    writeTool(root, "spin", "for (;;) {}");
    writeTool(root, "sleepy", "await new Promise((r) => setTimeout(r, 60_000)); return 1;");
  },
});

it("a smoke run stopped by its CPU budget names that budget", async () => {
  const r = (await c.migration.migrateTool({ toolName: "spin", config: config({ smokeTimeoutMs: 10_000 }) })).result;
  expect(r?.status).toBe(MigrationState.FAILED);
  expect(check(r, "smoke_run").status).toBe(ValidationStatus.FAILED);
  expect(check(r, "smoke_run").message).toBe("the smoke run used up its CPU time limit of 1000 ms (10% of its 10000 ms)");
}, 30_000);

it("a smoke run that waits past its wall time says that time", async () => {
  const r = (await c.migration.migrateTool({ toolName: "sleepy", config: config({ smokeTimeoutMs: 1000 }) })).result;
  expect(check(r, "smoke_run").message).toBe("the smoke run timed out after 1000 ms");
}, 30_000);
