// A smoke run's generated input honours the input schema (lengths, bounds, multipleOf, uniqueItems,
// pattern): a valid tool is not FAILED for an input the caller never gave. When no matching input
// can be generated the smoke run is a WARNING (not run), while caller-given arguments that do not
// match stay an error.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, config, legacyServer } from "./helpers.ts";

// The tool echoes its input, and fails unless it got what its schema promises.
const tool = (name: string, prop: object, assertion = "true") =>
  writeFileSync(
    join(c.root, `${name}.js`),
    `export const name = "${name}";
export const description = "schema ${name}";
export const version = "1.0.0";
export const inputSchema = { type: "object", properties: { v: ${JSON.stringify(prop)} }, required: ["v"] };
export async function call(args) { const v = args.v; if (!(${assertion})) throw new Error("bad input " + JSON.stringify(v)); return { got: v }; }
`,
  );

function prepare() {
  tool("country", { type: "string", minLength: 2, maxLength: 2 }, "v.length === 2");
  tool("weeks", { type: "integer", multipleOf: 7, minimum: 1 }, "v % 7 === 0 && v >= 1");
  tool("below", { type: "number", maximum: 0 }, "v <= 0");
  tool("negative", { type: "number", exclusiveMaximum: 0 }, "v < 0");
  tool("distinct", { type: "array", items: { type: "string" }, minItems: 2, uniqueItems: true }, "new Set(v).size === v.length && v.length >= 2");
  tool("small_set", { type: "array", items: { type: "integer", minimum: 0, maximum: 3 }, minItems: 4, uniqueItems: true }, "new Set(v).size === 4");
  tool("zip", { type: "string", pattern: "^[0-9]{5}$" }, "/^[0-9]{5}$/.test(v)");
  tool("plate", { type: "string", pattern: "^[A-Z]{2}-\\d+(\\.[a-z]{2,3})?$", minLength: 6 }, "/^[A-Z]{2}-\\d+/.test(v) && v.length >= 6");
  // \b is beyond the generator: no input can be generated for it.
  tool("word", { type: "string", pattern: "^\\bq\\b$" });
  // More than an input is built with: generating them once ran the server out of memory.
  tool("huge_string", { type: "string", minLength: 1e7 });
  tool("huge_array", { type: "array", minItems: 1e9 });
}
const c = legacyServer({ prepare });

const migrate = (toolName: string, cfg = config()) => c.migration.migrateTool({ toolName, config: cfg }).then((r) => r.result!);

it.each(["country", "weeks", "below", "negative", "distinct", "small_set", "zip", "plate"])("%s: the generated input matches the schema and the tool runs on it", async (name) => {
  const r = await migrate(name);
  expect(r.errors).toEqual([]);
  expect(r.status).toBe(MigrationState.COMPLETED);
  expect(check(r, "smoke_run").status).toBe(ValidationStatus.PASSED);
});

it("no input can be generated: the smoke run is a warning that asks for smoke_run_arguments, not a failure", async () => {
  const r = await migrate("word");
  expect(r.status).toBe(MigrationState.COMPLETED);
  const smoke = check(r, "smoke_run");
  expect(smoke.status).toBe(ValidationStatus.WARNING);
  expect(smoke.message).toContain("could not generate an input that matches inputSchema");
  expect(smoke.message).toContain("pass smoke_run_arguments");
  expect(smoke.message).not.toContain("the smoke-run arguments");
  expect(r.warnings.join("\n")).toContain("smoke_run: not run: could not generate an input");
  // Given arguments that match: it runs.
  const ok = await migrate("word", config({ force: true, smokeArgs: { v: "q" } }));
  expect(check(ok, "smoke_run").status).toBe(ValidationStatus.PASSED);
});

it("caller-given smoke_run_arguments that do not match the schema are still an error", async () => {
  const r = await migrate("zip", config({ force: true, smokeArgs: { v: "1234" } }));
  expect(r.status).toBe(MigrationState.FAILED);
  const smoke = check(r, "smoke_run");
  expect(smoke.status).toBe(ValidationStatus.FAILED);
  expect(smoke.message).toContain("the given smoke_run_arguments do not match inputSchema");
});

it("strict treats the not-run smoke test like any warning: FAILED", async () => {
  const r = await migrate("word", config({ force: true, strict: true, dryRun: true }));
  expect(check(r, "smoke_run").status).toBe(ValidationStatus.FAILED);
});

it.each([
  ["huge_string", "minLength 10000000 is more than a generated input has (4096)"],
  ["huge_array", "minItems 1000000000 is more than a generated input has (4096)"],
])("%s: no input is built for it, the smoke run is a warning and the server goes on", async (name, why) => {
  const r = await migrate(name);
  expect(r.status).toBe(MigrationState.COMPLETED);
  const smoke = check(r, "smoke_run");
  expect(smoke.status).toBe(ValidationStatus.WARNING);
  expect(smoke.message).toBe(`not run: could not generate an input that matches inputSchema (${why}); pass smoke_run_arguments`);
  // Validating the registered tool (no migrate permission needed) is the same warning.
  const v = (await c.migration.validateMigration({ toolName: name })).result!;
  expect(v.checks.find((x) => x.name === "smoke_run")).toMatchObject({ status: ValidationStatus.WARNING, message: smoke.message });
  expect((await c.scripts.runScript({ source: "1 + 1" })).result?.success).toBe(true);
});
