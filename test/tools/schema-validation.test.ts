// A registered tool's arguments are checked against its input schema on the server's event loop,
// and they come from untrusted scripts: the check must stay bounded in time and memory whatever
// the schema's recursion, refuse what it cannot check with a ToolError the script can catch, and
// say what was wrong (which property is extra, which values were allowed).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { SchemaValidator } from "../../src/tools/registry.ts";
import { clients, config } from "../migration/helpers.ts";

const tool = (name: string, inputSchema: object) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n` +
  `export const inputSchema = ${JSON.stringify(inputSchema)};\nexport async function call(args) { return "ok"; }\n`;

// An expression tree whose operator and function nodes share "args" (the shape of the report).
const exprArrays = {
  type: "object",
  definitions: { node: { anyOf: [
    { type: "object", required: ["op"], properties: { op: { type: "string" }, args: { type: "array", items: { $ref: "#/definitions/node" } } } },
    { type: "object", required: ["fn"], properties: { fn: { type: "string" }, args: { type: "array", items: { $ref: "#/definitions/node" } } } },
    { type: "number" },
  ] } },
  properties: { root: { $ref: "#/definitions/node" } },
  required: ["root"],
};
// The same with one operand per node, so that 18 levels fit within the nesting limit.
const exprChain = {
  type: "object",
  definitions: { node: { anyOf: [
    { type: "object", required: ["op"], properties: { op: { type: "string" }, arg: { $ref: "#/definitions/node" } } },
    { type: "object", required: ["fn"], properties: { fn: { type: "string" }, arg: { $ref: "#/definitions/node" } } },
    { type: "number" },
  ] } },
  properties: { root: { $ref: "#/definitions/node" } },
  required: ["root"],
};
// A discriminated union whose discriminator comes after the shared recursive property: oneOf must
// try both branches, and each walks the whole subtree before its `kind` rules it out (2^depth
// even for a valid value, whether or not ajv stops at the first error).
const chainUnion = {
  type: "object",
  definitions: { link: { oneOf: [
    { type: "object", properties: { next: { $ref: "#/definitions/link" }, kind: { const: "a" } } },
    { type: "object", properties: { next: { $ref: "#/definitions/link" }, kind: { const: "b" } } },
  ] } },
  properties: { head: { $ref: "#/definitions/link" } },
  required: ["head"],
};
const plain = {
  type: "object",
  properties: { op: { enum: ["read", "list"] }, kind: { const: "file" }, n: { type: "integer" } },
  additionalProperties: false,
};

let server: TestServer;
let c: ReturnType<typeof clients>;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), "se-schema-validation-"));
  const tools = { expr_arrays: exprArrays, expr_chain: exprChain, chain_union: chainUnion, plain };
  for (const [name, schema] of Object.entries(tools)) writeFileSync(join(root, `${name}.js`), tool(name, schema));
  server = await startServer({ args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
  c = clients(server);
  for (const name of Object.keys(tools)) {
    const r = await c.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) });
    expect([name, r.result?.status]).toEqual([name, MigrationState.COMPLETED]);
  }
}, 60_000);
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const rssMB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.proc.pid}/status`, "utf8"))![1]) / 1024;

/**
 * Runs `build` (a script expression making the argument `v`) and calls `tool` with it, timing the
 * call inside the script. HealthChecks go out one after another for as long as the run lasts, so
 * one is always waiting on the server's event loop while the check runs there. Returns the
 * script's [ms, outcome], the slowest health check's latency and the server's RSS growth.
 */
async function attack(tool: string, build: string) {
  const rssBefore = rssMB();
  const run = c.scripts.runScript({
    source: `export default async (a, ctx) => { ${build}
      const t = Date.now();
      let outcome; try { outcome = await ctx.tools.${tool}(v); } catch (e) { outcome = e.name + ": " + e.message; }
      return JSON.stringify([Date.now() - t, outcome]); }`,
    context: { availableTools: [tool] },
  });
  let running = true;
  void run.finally(() => (running = false)).catch(() => undefined);
  let healthMs = 0;
  do {
    const t0 = Date.now();
    await c.scripts.healthCheck({});
    healthMs = Math.max(healthMs, Date.now() - t0);
  } while (running);
  const r = await run;
  const [callMs, outcome] = JSON.parse(String(r.result?.returnValue?.kind.value)) as [number, string];
  return { callMs, outcome, healthMs, rssGrowthMB: rssMB() - rssBefore };
}

describe("checking a script's arguments against a recursive schema", () => {
  // Collecting every error (ajv's allErrors) walked both failing branches at every level and kept
  // each failure: 18 levels took ~10 s of the event loop (every RPC stalled) and over a GB of RSS.
  it("a malformed argument is refused at once, with a catchable INVALID_ARGUMENT ToolError, and the server stays responsive", async () => {
    const r = await attack("expr_chain", "let n = {}; for (let i = 0; i < 18; i++) n = { arg: n }; const v = { root: n };");
    expect(r.outcome).toMatch(/^ToolError: tool "\w+" failed: INVALID_ARGUMENT: arguments of tool expr_chain do not match its input schema: /);
    expect(r.callMs).toBeLessThan(2000);
    expect(r.healthMs).toBeLessThan(2000);
    expect(r.rssGrowthMB).toBeLessThan(300);
  }, 90_000);

  it("arguments nest at most 32 levels deep, as return values do", async () => {
    const r = await attack("expr_arrays", "let n = {}; for (let i = 0; i < 17; i++) n = { args: [n] }; const v = { root: n };");
    expect(r.outcome).toBe('ToolError: tool "expr_arrays" failed: INVALID_ARGUMENT: arguments of tool expr_arrays nest deeper than 32 levels of arrays and objects');
    expect(r.callMs).toBeLessThan(2000);
    expect(r.healthMs).toBeLessThan(2000);
    // Up to the limit the schema holds as ever.
    const ok = await c.scripts.runScript({
      source: "export default (a, ctx) => { let n = 1; for (let i = 0; i < 15; i++) n = { op: '+', args: [n, 2] }; return ctx.tools.expr_arrays({ root: n }); }",
      context: { availableTools: ["expr_arrays"] },
    });
    expect(ok.result?.returnValue?.kind.value).toBe("ok");
  }, 90_000);

  // Valid, but 2^24 steps to prove it: the check gives up after its time budget (250 ms) rather
  // than hold the event loop for minutes.
  it("a valid argument too costly to check is refused after the check's time budget, and the server stays responsive", async () => {
    const chain = (depth: number) => `let n = { kind: 'a' }; for (let i = 0; i < ${depth}; i++) n = { kind: 'a', next: n }; const v = { head: n };`;
    const r = await attack("chain_union", chain(24));
    expect(r.outcome).toMatch(/^ToolError: tool "\w+" failed: INVALID_ARGUMENT: arguments of tool chain_union do not match its input schema: \(root\) could not be checked: checking it against the schema took longer than 250 ms/);
    expect(r.callMs).toBeLessThan(5000);
    expect(r.healthMs).toBeLessThan(2000);
    const shallow = await attack("chain_union", chain(8));
    expect(shallow.outcome).toBe("ok");
  }, 90_000);
});

describe("what a schema error says", () => {
  it("names the extra property and the allowed values of enum and const", async () => {
    const one = async (args: string) =>
      (await c.scripts.runScript({
        source: `export default async (a, ctx) => { try { return await ctx.tools.plain(${args}); } catch (e) { return e.message; } }`,
        context: { availableTools: ["plain"] },
      })).result?.returnValue?.kind.value;
    expect(await one("{ op: 'read', extra: 1 }")).toBe('tool "plain" failed: INVALID_ARGUMENT: arguments of tool plain do not match its input schema: (root) must NOT have additional properties ("extra")');
    expect(await one("{ op: 'write' }")).toBe('tool "plain" failed: INVALID_ARGUMENT: arguments of tool plain do not match its input schema: /op must be equal to one of the allowed values: ["read","list"]');
    expect(await one("{ kind: 'dir' }")).toBe('tool "plain" failed: INVALID_ARGUMENT: arguments of tool plain do not match its input schema: /kind must be equal to constant: "file"');
  });

  it("clips long allowed values and property names", () => {
    const v = new SchemaValidator();
    const long = "x".repeat(500);
    const [extra] = v.errors({ type: "object", additionalProperties: false }, { [long]: 1 });
    expect(extra).toBe(`(root) must NOT have additional properties ("${"x".repeat(119)}…)`);
    const [values] = v.errors({ enum: Array.from({ length: 100 }, (_, i) => `value-${i}`) }, "nope");
    expect(values.length).toBeLessThan(200);
    expect(values).toMatch(/^\(root\) must be equal to one of the allowed values: \["value-0","value-1",.*…$/);
  });
});
