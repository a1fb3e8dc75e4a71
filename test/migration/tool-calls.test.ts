// Registered tools as scripts call them, at their limits: a tool's run ends within its caller's
// call (the tool timeout and the caller's own wall time), uniqueItems is checked in linear time,
// and a declared output schema holds for a tool that returns nothing.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { SchemaValidator } from "../../src/tools/registry.ts";
import { clients, config } from "./helpers.ts";

const tool = (name: string, body: string, extra = 'export const inputSchema = { type: "object", properties: {} };') =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n${extra}\nexport async function call(args) { ${body} }\n`;

let server: TestServer;
let c: ReturnType<typeof clients>;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), "se-tool-calls-"));
  writeFileSync(join(root, "spin.js"), tool("spin", "if (args.spin) for (;;) {} return 'done';"));
  writeFileSync(join(root, "uniq.js"), tool("uniq", "return args.items.length;", 'export const inputSchema = { type: "object", properties: { items: { type: "array", uniqueItems: true } }, required: ["items"] };'));
  writeFileSync(join(root, "throwy.js"), tool("throwy", "throw new Error('no');"));
  writeFileSync(join(root, "nothing.js"), tool("nothing", "return undefined;", 'export const inputSchema = { type: "object" };\nexport const outputSchema = { type: "object", required: ["ok"] };'));
  server = await startServer({ args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
  c = clients(server);
  for (const name of ["spin", "uniq", "nothing", "throwy"]) {
    const r = await c.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) });
    expect([name, r.result?.status]).toEqual([name, MigrationState.COMPLETED]);
  }
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const call = (expr: string, tools: string[], context: object = {}) =>
  c.scripts.runScript({
    source: `export default async (a, ctx) => { try { return await ${expr}; } catch (e) { return e.name + ": " + e.message; } }`,
    context: { availableTools: tools, ...context },
  });
const restarts = async () => Number((await c.scripts.getMetrics({})).metrics?.workerRestarts);

describe("registered tools at their limits", () => {
  it("a tool spinning in its isolate is stopped within its caller's time: the caller gets an error it can catch, and no worker is replaced", async () => {
    const before = await restarts();
    // The caller's own wall time bounds the tool's run (the host cannot interrupt guest code).
    const byCaller = await call("ctx.tools.spin({ spin: true })", ["spin"], { timeout: durationFromMs(1500) });
    expect(String(byCaller.result?.returnValue?.kind.value)).toMatch(/^ToolError: .*spin.*(timed out|Timeout)/i);
    // So does the request's operation_timeout, however long the caller may run.
    const byRequest = await call("ctx.tools.spin({ spin: true })", ["spin"], { timeout: durationFromMs(20_000), resourceLimits: { operationTimeout: durationFromMs(800) } });
    expect(String(byRequest.result?.returnValue?.kind.value)).toMatch(/^ToolError: .*spin.*(timed out|Timeout)/i);
    expect(await restarts()).toBe(before);
    expect((await call("ctx.tools.spin({})", ["spin"])).result?.returnValue?.kind.value).toBe("done");
  });

  it("uniqueItems holds item by item, objects equal whatever their key order", async () => {
    const ok = await call("ctx.tools.uniq({ items: Array.from({ length: 20000 }, (_, i) => [i]) })", ["uniq"]);
    expect(ok.result?.returnValue?.kind.value).toBe(20000);
    const dup = await call("ctx.tools.uniq({ items: [[1], { a: 1, b: [2] }, 3, { b: [2], a: 1 }] })", ["uniq"]);
    expect(String(dup.result?.returnValue?.kind.value)).toMatch(/ToolError: .*must NOT have duplicate items \(items 1 and 3 are identical\)/);
  });

  it("a tool with an output schema that returns nothing breaks its promise: a ToolError", async () => {
    const r = await call("ctx.tools.nothing({})", ["nothing"]);
    expect(String(r.result?.returnValue?.kind.value)).toMatch(/ToolError: .*does not match its output schema/);
  });
});

describe("what GetMetrics counts", () => {
  it("executions are the callers': a script's tool calls and a migration's smoke run are not executions of their own", async () => {
    const metrics = async () => (await c.scripts.getMetrics({})).metrics!;
    const before = await metrics();
    const r = await c.scripts.runScript({
      source: "export default async (a, ctx) => { let n = 0; for (let i = 0; i < 3; i++) { try { await ctx.tools.throwy({}); } catch { n++; } } return n; }",
      context: { availableTools: ["throwy"] },
    });
    expect(r.result?.returnValue?.kind.value).toBe(3);
    const said = await call("ctx.tools.throwy({})", ["throwy"]);
    expect(said.result?.returnValue?.kind.value).toBe('ToolError: tool "throwy" failed: Error: no (line 5, column 42)'); // said once, where in the tool
    await c.migration.migrateTool({ toolName: "throwy", config: config({ dryRun: true }) });
    const after = await metrics();
    expect([Number(after.totalExecutions - before.totalExecutions), Number(after.failedExecutions - before.failedExecutions)]).toEqual([2, 0]);
  });
});

describe("SchemaValidator's uniqueItems", () => {
  it("finds a duplicate in a large array and tells which items", () => {
    const v = new SchemaValidator();
    const items = Array.from({ length: 100_000 }, (_, i) => ({ n: i, tags: ["x"] }));
    expect(v.errors({ type: "array", uniqueItems: true }, items)).toEqual([]);
    items.push({ tags: ["x"], n: 5 });
    expect(v.errors({ type: "array", uniqueItems: true }, items)).toEqual(["(root) must NOT have duplicate items (items 5 and 100000 are identical)"]);
    expect(v.errors({ type: "array", uniqueItems: false }, [1, 1])).toEqual([]);
    expect(v.errors({ type: "array", uniqueItems: true }, [1, "1", true, null])).toEqual([]);
  });
});
