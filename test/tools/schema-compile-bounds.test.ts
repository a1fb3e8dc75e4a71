// A tool's schemas are compiled by ajv on the server's event loop, so what a compile may cost is
// bounded by the schema's structure, not only its bytes (1,200 properties in 31 KiB took 0.5-2 s),
// and the compile happens at migration and at start, never on a call from a script: after a
// restart, the first call of a tool with a big schema stalled every RPC for about a second.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { check, clients, config } from "../migration/helpers.ts";

const tool = (name: string, schemas: string) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n${schemas}\n` +
  `export async function call(args) { return { p0: 1 }; }\n`;
/** `n` properties `p0`..., each `{ type: "integer" }`. */
const wide = (n: number) => `const props = {};\nfor (let i = 0; i < ${n}; i++) props["p" + i] = { type: "integer" };\n`;

const root = mkdtempSync(join(tmpdir(), "se-schema-bounds-"));
const args = ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"];
let server: TestServer;
let c: ReturnType<typeof clients>;
const migrate = async (name: string) => (await c.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) }, { timeoutMs: 300_000 })).result;

beforeAll(async () => {
  // 600 properties: 15 KiB of JSON, well under the byte limit, but 1,202 schema nodes.
  writeFileSync(join(root, "wide_in.js"), tool("wide_in", `${wide(600)}export const inputSchema = { type: "object", properties: props };`));
  writeFileSync(join(root, "wide_out.js"), tool("wide_out", `${wide(600)}export const inputSchema = { type: "object" };\nexport const outputSchema = { type: "object", properties: props };`));
  // 450 properties (902 nodes) in and out: within the bounds.
  writeFileSync(join(root, "wide_ok.js"), tool("wide_ok", `${wide(450)}export const inputSchema = { type: "object", properties: props };\nexport const outputSchema = { type: "object", properties: props };`));
  // 150 properties each referencing one 150-property definition: 9 KiB, 606 nodes. ajv inlined the
  // definition at every reference, so its code grew with the product (22,500 checks, tens of seconds).
  writeFileSync(
    join(root, "refs.js"),
    tool("refs", `const d = {}, props = {};\nfor (let i = 0; i < 150; i++) { d["q" + i] = { type: "integer" }; props["p" + i] = { $ref: "#/definitions/d" }; }\n` +
      `export const inputSchema = { type: "object", definitions: { d: { type: "object", properties: d } }, properties: props };`),
  );
  // 16,000 examples: data ajv never compiles, 32 KiB of JSON, 2 nodes.
  writeFileSync(join(root, "examples.js"), tool("examples", `export const inputSchema = { type: "object", examples: new Array(16000).fill(0) };\nexport const outputSchema = { default: [1, 2], const: { a: [1, 2, 3] } };`));
  server = await startServer({ args });
  c = clients(server);
}, 60_000);
afterAll(async () => {
  await server.stop();
});

describe("a schema's size is bounded by its structure", () => {
  it("an input or output schema with over 1,000 keywords, property names and list entries fails input_schema_valid", async () => {
    const input = await migrate("wide_in");
    expect(input?.status).toBe(MigrationState.FAILED);
    expect(check(input, "input_schema_valid").status).toBe(ValidationStatus.FAILED);
    expect(check(input, "input_schema_valid").message).toBe(
      "inputSchema has 1202 keywords, property names and list entries, over the limit of 1000 (its validator is compiled on the server's event loop)",
    );
    const output = await migrate("wide_out");
    expect(output?.status).toBe(MigrationState.FAILED);
    expect(check(output, "input_schema_valid").message).toMatch(/^outputSchema is not a valid JSON Schema: it has 1202 keywords, property names and list entries, over the limit of 1000/);
  }, 60_000);

  it("data (examples, default, const) counts as its keyword only", async () => {
    const r = await migrate("examples");
    expect(check(r, "input_schema_valid").message).toBe("passed");
    expect(r?.status).toBe(MigrationState.COMPLETED);
  });

  it("references compile once, not once per use", async () => {
    const t0 = performance.now();
    const r = await migrate("refs");
    expect(r?.status).toBe(MigrationState.COMPLETED);
    // Before: the compile alone took 15-40 s (twice: the check and strict mode's warnings).
    expect(performance.now() - t0).toBeLessThan(5000);
  }, 300_000);
});

describe("no call compiles a registered tool's schemas", () => {
  it("the server compiles them at start, before it serves, and calls after the restart work", async () => {
    expect((await migrate("wide_ok"))?.status).toBe(MigrationState.COMPLETED);
    await server.stop();
    server = await startServer({ args, dataDir: server.dataDir });
    c = clients(server);
    const lines = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const compiled = lines.findIndex((l) => l.msg === "tool schemas compiled");
    expect(compiled).toBeGreaterThanOrEqual(0);
    // wide_ok's input and output, refs' input, examples' input and output.
    expect(lines[compiled]).toMatchObject({ tools: 3, schemas: 5 });
    expect(compiled).toBeLessThan(lines.findIndex((l) => l.msg === "listening"));
    const r = await c.scripts.runScript({
      source: "export default async (a, ctx) => JSON.stringify([await ctx.tools.wide_ok({ p0: 1 }), await ctx.tools.wide_ok({ p1: 'x' }).catch((e) => e.message)])",
      context: { availableTools: ["wide_ok"] },
    });
    expect(JSON.parse(String(r.result?.returnValue?.kind.value))).toEqual([
      { p0: 1 },
      'tool "wide_ok" failed: INVALID_ARGUMENT: arguments of tool wide_ok do not match its input schema: /p1 must be integer',
    ]);
  }, 120_000);
});
