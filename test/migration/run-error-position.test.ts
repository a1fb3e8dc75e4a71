// A describe or smoke run that throws says where in the legacy source: the engine's first script
// frame, as line and column. It said only `Error: boom`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, config, legacyServer } from "./helpers.ts";

const c = legacyServer({
  cleanExit: false,
  timeout: 60_000,
  prepare: (root) => {
    const head = (name: string) => `export const name = "${name}";\nexport const description = "d";\nexport const version = "1";\n`;
    writeFileSync(join(root, "boom.js"), `${head("boom")}function helper() {\n  throw new Error("boom");\n}\nexport async function call(args) { return helper(); }\n`);
    writeFileSync(join(root, "badload.js"), `${head("badload")}const table = null;\nconst first = table.rows;\nexport async function call(args) { return first; }\n`);
    // Thrown by something that is no script frame of the tool: nothing to point at.
    writeFileSync(join(root, "plain.js"), `${head("plain")}export async function call(args) { throw "not an Error"; }\n`);
  },
});

const migrate = async (name: string) => (await c.migration.migrateTool({ toolName: name, config: config() })).result;

it("a smoke run's error names its line and column in the legacy source", async () => {
  const r = await migrate("boom");
  expect(r?.status).toBe(MigrationState.FAILED);
  expect(check(r, "smoke_run").message).toBe("the smoke run failed: Error: boom (line 5, column 9)");
});

it("a describe run's error does too", async () => {
  const r = await migrate("badload");
  expect(check(r, "metadata_valid").message).toMatch(/^the module failed to load: TypeError: Cannot read properties of null \(reading 'rows'\) \(line 5, column 21\)$/);
});

it("an error with no frame in the source has no position", async () => {
  const r = await migrate("plain");
  expect(check(r, "smoke_run").message).not.toMatch(/\(line \d+/);
});
