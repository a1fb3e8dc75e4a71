// A migration that names no security_level gets the server's default capped at its principal's
// maximum, as a script run does (api/limits.ts): the default is no claim of the caller's, so a
// default above a junior principal's maximum refused every migration of theirs that named none.
// A level it does name is still refused above that maximum, and one that is no level is
// INVALID_ARGUMENT (it silently became the default).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { bearer, config, legacyServer, principalsToml, SecurityLevel } from "./helpers.ts";

const JUNIOR = { headers: bearer("junior") };
const c = legacyServer({
  toml: 'security_level = "production"\n' + principalsToml({ name: "junior", level: "safe", permissions: ["migrate"] }),
  prepare: (root) => {
    writeFileSync(join(root, "plain.js"), 'export const name = "plain";\nexport const description = "d";\nexport const inputSchema = { type: "object" };\nexport async function call() { return "ok"; }\n');
  },
});

it("names no level: migrates at the principal's maximum, below the server's default", async () => {
  const r = (await c.migration.migrateTool({ config: config({ file: "plain.js", level: SecurityLevel.UNSPECIFIED }) }, JUNIOR)).result!;
  expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
  expect((await c.tools.getTool({ name: "plain" }, JUNIOR)).tool?.securityLevel).toBe(SecurityLevel.SAFE);
});

it("names a level above its maximum: refused; a value that is no level: INVALID_ARGUMENT", async () => {
  const above = await failure(c.migration.migrateTool({ config: config({ file: "plain.js", level: SecurityLevel.PRODUCTION, force: true }) }, JUNIOR));
  expect(above).toMatchObject({ code: "PermissionDenied", reason: "SECURITY_VIOLATION" });
  const unknown = await failure(c.migration.migrateTool({ config: config({ file: "plain.js", level: 42 as SecurityLevel, force: true }) }, JUNIOR));
  expect(unknown).toMatchObject({ code: "InvalidArgument", reason: "VALIDATION_ERROR" });
  expect(unknown.err.rawMessage).toContain("config.security_level 42 is not a level");
});
