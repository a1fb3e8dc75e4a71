// ValidateMigration runs the tool's code (describe and smoke runs), so it is gated like running
// code: a principal whose maximum level is below the tool's is refused. A smoke run lasts no longer
// than the tool's level allows, and a timed-out one says the limit it actually had.
import { beforeAll, expect, it } from "vitest";
import { failure } from "../helpers/errors.ts";
import { bearer, config, legacyServer, principalsToml, SecurityLevel, writeTool } from "./helpers.ts";

const OPS = bearer("ops");
const READER = bearer("reader");
const TOML = principalsToml({ name: "ops", level: "development", permissions: ["admin"] }, { name: "reader", level: "safe", permissions: [] });

const c = legacyServer({
  toml: TOML,
  cleanExit: false,
  prepare: (root) => {
    writeTool(root, "dev_tool", "return 1;");
    writeTool(root, "sleepy", "if (args.ms) await new Promise((r) => setTimeout(r, args.ms)); return 1;");
  },
});
beforeAll(async () => {
  const migrate = (toolName: string, level: SecurityLevel) => c.migration.migrateTool({ toolName, config: config({ level }) }, { headers: OPS });
  await migrate("dev_tool", SecurityLevel.DEVELOPMENT);
  await migrate("sleepy", SecurityLevel.SAFE);
});

it("a principal capped below the tool's level may not validate it (its code would run there)", async () => {
  const f = await failure(c.migration.validateMigration({ toolName: "dev_tool" }, { headers: READER }));
  expect([f.code, f.reason]).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
  expect(f.metadata).toMatchObject({ requested_level: "development", max_level: "safe" });
  expect(f.err.rawMessage).toContain('principal "reader" may not run tools at level development');
  // At its own level it may, and the admin at any.
  expect((await c.migration.validateMigration({ toolName: "sleepy" }, { headers: READER })).result?.toolName).toBe("sleepy");
  expect((await c.migration.validateMigration({ toolName: "dev_tool" }, { headers: OPS })).result?.toolName).toBe("dev_tool");
});

const smokeRun = async (headers: Record<string, string>, timeoutSeconds: bigint) => {
  const validation = { checks: ["smoke_run"], smokeRunArguments: { ms: 60_000 }, smokeRunTimeout: { seconds: timeoutSeconds } };
  const t0 = Date.now();
  const r = (await c.migration.validateMigration({ toolName: "sleepy", validation }, { headers })).result!;
  return { message: r.checks.find((x) => x.name === "smoke_run")!.message, ms: Date.now() - t0 };
};

it("a smoke run past the Safe tool's 10 s stops there, and says 10000 ms, whatever the caller's level or smoke_run_timeout", async () => {
  // The admin's own level (Development) has no timeout; the tool's does.
  const run = await smokeRun(OPS, 120n);
  expect(run.message).toBe("the smoke run timed out after 10000 ms");
  expect(run.ms).toBeGreaterThanOrEqual(10_000);
  expect(run.ms).toBeLessThan(60_000);
}, 70_000);

it("a shorter smoke_run_timeout is the limit, and the message's", async () => {
  const run = await smokeRun(READER, 1n);
  expect(run.message).toBe("the smoke run timed out after 1000 ms");
  expect(run.ms).toBeLessThan(10_000);
});
