// A schema ajv compiles can still be one no value can be checked against: V8 compiles ajv's code
// at its first call and may run out of stack there (a $ref that recurses without reaching into
// the value, or a flat schema of ~1,450 properties whose code nests one level each). Such a tool
// migrated COMPLETED and then failed every call, blamed on "references that recurse without end"
// even when it had no $ref. input_schema_valid now runs the validator once and fails it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { SchemaValidator } from "../../src/tools/registry.ts";
import { check, clients, config } from "../migration/helpers.ts";

const OUT_OF_STACK = "the check ran out of stack (a $ref that recurses without end, or a schema too large to check)";
const tool = (name: string, schemas: string) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n${schemas}\n` +
  `export async function call(args) { return { ok: true }; }\n`;

const root = mkdtempSync(join(tmpdir(), "se-schema-stack-"));
let server: TestServer;
let c: ReturnType<typeof clients>;
const migrate = async (name: string) => (await c.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) })).result;

beforeAll(async () => {
  writeFileSync(join(root, "self_in.js"), tool("self_in", `export const inputSchema = { $ref: "#" };`));
  writeFileSync(join(root, "self_out.js"), tool("self_out", `export const inputSchema = { type: "object" };\nexport const outputSchema = { allOf: [{ $ref: "#" }] };`));
  // The report's tool: 1,500 flat properties, 28 KiB, no $ref.
  writeFileSync(
    join(root, "wideflat.js"),
    tool("wideflat", `const props = {};\nfor (let i = 0; i < 1500; i++) props[i.toString(36)] = { minimum: 0 };\nexport const inputSchema = { type: "object", properties: props };`),
  );
  server = await startServer({ args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
  c = clients(server);
}, 60_000);
afterAll(async () => {
  await server.stop();
});

it("an input or output schema whose validator runs out of stack fails input_schema_valid, saying so", async () => {
  const input = await migrate("self_in");
  expect(input?.status).toBe(MigrationState.FAILED);
  expect(check(input, "input_schema_valid").status).toBe(ValidationStatus.FAILED);
  expect(check(input, "input_schema_valid").message).toBe(`inputSchema cannot be used: ${OUT_OF_STACK}`);
  const output = await migrate("self_out");
  expect(output?.status).toBe(MigrationState.FAILED);
  expect(check(output, "input_schema_valid").message).toBe(`outputSchema cannot be used: ${OUT_OF_STACK}`);
  expect((await c.tools.listTools({})).tools.map((t) => t.name)).not.toContain("self_in");
});

it("a flat schema too wide to check fails at migration, not at every call", async () => {
  const r = await migrate("wideflat");
  expect(r?.status).toBe(MigrationState.FAILED);
  expect(check(r, "input_schema_valid").message).toMatch(/^inputSchema has 3002 keywords, property names and list entries, over the limit of 1000/);
});

it("a check that runs out of stack says that, not what caused it", () => {
  expect(new SchemaValidator().errors({ $ref: "#" }, {})).toEqual([`(root) could not be checked: ${OUT_OF_STACK}`]);
});
