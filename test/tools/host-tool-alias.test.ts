// A tool is granted the host tools its source is found to use (tools/registry-source.ts), and only
// those: a tool that named http through a destructuring (`const { http } = ctx.tools`) was granted
// none, so its smoke run failed with "http is not a function", and so would every call. The common
// ways of naming a host tool are found; one named at run time (`ctx.tools[name]`) is told apart.
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { hostToolUse, hostToolsUsed } from "../../src/tools/registry-source.ts";
import { parseModule } from "../../src/engine/module-script.ts";
import { readSource } from "../../src/migration/checks.ts";
import { config, legacyServer, SecurityLevel } from "../migration/helpers.ts";

// Parses are counted (the migration parses a tool's source once); what they return is acorn's own.
vi.mock("../../src/engine/module-script.ts", async (actual) => {
  const m = await actual<typeof import("../../src/engine/module-script.ts")>();
  return { ...m, parseModule: vi.fn(m.parseModule) };
});

const chain = (k: number) => `const t0 = ctx.tools;\n${Array.from({ length: k - 1 }, (_, i) => `const t${i + 1} = t${i};\n`).join("")}await t${k - 1}.http({});`;

describe("the host tools a source uses", () => {
  it.each([
    ["a destructuring", "const { http } = ctx.tools; await http({ url });", ["http"]],
    ["a renamed and a quoted destructuring", "const { http: get, 'fs': files } = ctx.tools;", ["fs", "http"]],
    ["a destructuring of ctx?.tools ?? {}", "const { http } = ctx?.tools ?? {};", ["http"]],
    ["a destructured parameter", "export async function call(args, { tools: { http } }) { return http({}); }", ["http"]],
    ["a nested destructuring of ctx", "const { tools: { fs } } = ctx;", ["fs"]],
    ["tools destructured from ctx", "const { tools } = ctx; const { http } = tools; await tools.fs({});", ["fs", "http"]],
    ["a variable holding ctx.tools", "const t = ctx.tools; const u = t; await u.http({});", ["http"]],
    ["a rest of ctx.tools", "const { call, ...more } = ctx.tools; await more.fs({});", ["fs"]],
    ["a destructured call", "const { call } = ctx.tools; await call(`http`, {});", ["http"]],
    ["the plain forms", "ctx.tools.http({}); ctx.tools?.['fs']({}); tools.call('http', {})", ["fs", "http"]],
    ["a private field holding ctx.tools", "class C { #tools; constructor(ctx) { this.#tools = ctx.tools; } get(u) { return this.#tools.http({ url: u }); } }", ["http"]],
    ["a private field's initializer", "class C { #t = ctx.tools; read() { return this.#t.fs({}); } }", ["fs"]],
    ["a parameter named $tools", "function read($tools) { return $tools.fs({}); }", ["fs"]],
    ["a property holding ctx.tools", "this.t = ctx.tools; await this.t.http({});", ["http"]],
    ["a property holding a variable holding ctx.tools", "const t = ctx.tools; const o = { api: t }; o.h = o.api; await o.h.fs({});", ["fs"]],
    ["a variable holding ctx.tools.call", "const call = ctx.tools.call; await call('http', {});", ["http"]],
    ["a property holding the call of a variable", "const t = ctx.tools; this.c = t.call; await this.c('fs', {});", ["fs"]],
    ["a chain of 40 variables", chain(40), ["http"]],
    ["a chain of 40 variables, written last first", chain(40).split("\n").reverse().join("\n"), ["http"]],
    ["no host tool", "const { text_search } = ctx.tools; const { http } = other; const o = { tools: { http: 1 } };", []],
  ])("%s", (_name, source, names) => {
    expect(hostToolsUsed(source)).toEqual(names);
  });

  it("a host tool named at run time is no name found: its line is told", () => {
    expect(hostToolUse("const n = 'http';\nawait ctx.tools[n]({});\nObject.values(ctx.tools);")).toEqual({ names: [], dynamic: [2, 3] });
  });
});

describe("a tool's source in a migration", () => {
  // A comment, so that the code only (migration/code-text.ts) is other text than the source; the
  // large one is past what toolModuleSource keeps, so each reader would parse it again.
  const tool = (fill: string) =>
    `export const name = "once";\nexport const description = "d";\nexport const version = "1.0.0";\n// uses http\n${fill}\n` +
    "export async function call(args, ctx) { const c = ctx.tools.call; return c('http', {}); }\n";
  it.each([
    ["a small source", tool("")],
    ["a large source", tool("0;".repeat(300_000))],
  ])("is parsed once: %s's module, overflow and host tools are read from the one tree", (_name, source) => {
    const parses = vi.mocked(parseModule);
    parses.mockClear();
    const read = readSource(source, "javascript");
    expect([read.hostUse.names, read.overflow, read.wrapped.startsWith(source.slice(0, 20))]).toEqual([["http"], undefined, true]);
    expect(read.code).not.toBe(source);
    expect(parses.mock.calls.filter(([text]) => text === source || text === read.code)).toHaveLength(1);
  });
});

describe("a tool that reaches http through a destructuring", () => {
  let origin: Server;
  let url = "";
  const tool = (name: string, body: string) =>
    `export const name = "${name}";\nexport const description = "d";\nexport const version = "1.0.0";\n` +
    `export const inputSchema = { type: "object", properties: { url: { type: "string" } } };\n${body}\n`;
  const tools: Record<string, string> = {
    h_destructured: "export async function call(args, ctx) { const { http } = ctx.tools; return (await http({ url: args.url })).body; }",
    h_param: "export async function call(args, { tools: { http: get } }) { return (await get({ url: args.url })).body; }",
    h_alias: "export async function call(args, ctx) { const t = ctx.tools; return (await t.http({ url: args.url })).body; }",
  };
  const dynamic = "export async function call(args, ctx) { const n = 'ht' + 'tp'; return (await ctx.tools[n]({ url: args.url })).body; }";
  const c = legacyServer({
    toml: `[tools]\nhttp_allow_list = ["127.0.0.1"]\n`,
    prepare: (root) => {
      for (const [name, body] of Object.entries(tools)) writeFileSync(join(root, `${name}.js`), tool(name, body));
      writeFileSync(join(root, "h_dynamic.js"), tool("h_dynamic", dynamic));
    },
  });
  beforeAll(async () => {
    origin = createServer((_req, res) => res.end("from the origin"));
    await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(origin.address() as { port: number }).port}/`;
  });
  afterAll(() => {
    origin?.closeAllConnections();
    origin?.close();
  });

  it.each(Object.keys(tools))("%s: migrates (its smoke run reaches the stub), is granted http, and its calls reach the origin", async (name) => {
    const r = (await c.migration.migrateTool({ toolName: name, config: config({ level: SecurityLevel.PRODUCTION }) })).result!;
    expect([r.status, r.errors]).toEqual([MigrationState.COMPLETED, []]);
    expect(toJson(ValueSchema, r.metadata.host_tools!)).toEqual(["http"]);
    const run = await c.scripts.runScript({
      source: `export default async (a, ctx) => { try { return await ctx.tools.${name}({ url: ${JSON.stringify(url)} }); } catch (e) { return e.name + ": " + e.message; } }`,
      context: { availableTools: [name], securityContext: { securityLevel: SecurityLevel.PRODUCTION } },
    });
    expect(run.result?.returnValue?.kind.value).toBe("from the origin");
  });

  it("a host tool named at run time: the migration warns, naming the line, before any call fails", async () => {
    const r = (await c.migration.migrateTool({ toolName: "h_dynamic", config: config({ level: SecurityLevel.PRODUCTION }) })).result!;
    expect(r.warnings.some((w) => w.includes("line 5: the tools object is used in a way the check cannot follow"))).toBe(true);
  });
});
