// ValidateMigration runs the tool's code (describe and smoke runs), so it is gated like running
// code: a principal whose maximum level is below the tool's is refused, and a smoke run lasts no
// longer than a script of that caller could.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { TestServer } from "../helpers/server.ts";
import { failure } from "../helpers/errors.ts";
import { SecurityLevel, clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const OPS = { authorization: "Bearer ops-token-0123456789abcdef" };
const READER = { authorization: "Bearer reader-token-0123456789abcdef" };
const TOML = `
[resource_limits]
max_execution_time = "2s"

[[auth.principals]]
name = "ops"
token = "ops-token-0123456789abcdef"
max_security_level = "development"
permissions = ["admin"]

[[auth.principals]]
name = "reader"
token = "reader-token-0123456789abcdef"
max_security_level = "safe"
permissions = []
`;
const tool = (root: string, file: string, name: string, body: string) =>
  writeFileSync(join(root, file), `export const name = "${name}";\nexport const description = "d";\nexport const version = "1";\nexport const inputSchema = { type: "object" };\nexport async function call(args) { ${body} }\n`);

let server: TestServer;
let c: ReturnType<typeof clients>;
beforeAll(async () => {
  const root = legacyCopy();
  tool(root, "dev-tool.js", "dev_tool", "return 1;");
  tool(root, "sleepy.js", "sleepy", "if (args.wait) await new Promise((r) => setTimeout(r, 4000)); return 1;");
  server = await startWithLegacy(root, { toml: TOML });
  c = clients(server);
  const migrate = (toolName: string, level: SecurityLevel) => c.migration.migrateTool({ toolName, config: config({ level }) }, { headers: OPS });
  await migrate("dev_tool", SecurityLevel.DEVELOPMENT);
  await migrate("sleepy", SecurityLevel.SAFE);
});
afterAll(async () => {
  await server.stop();
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

it("smoke_run_timeout is capped by what the caller could run", async () => {
  const validation = { checks: ["smoke_run"], smokeRunArguments: { wait: true }, smokeRunTimeout: { seconds: 120n } };
  const r = (await c.migration.validateMigration({ toolName: "sleepy", validation }, { headers: READER })).result!;
  const smoke = r.checks.find((x) => x.name === "smoke_run")!;
  expect(smoke.message).toBe("the smoke run timed out after 2000 ms");
});
