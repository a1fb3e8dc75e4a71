// A tool is granted the host tools its source is found to use (tools/registry-source.ts), and only
// those: a tool that named http through a destructuring (`const { http } = ctx.tools`) was granted
// none, so its smoke run failed with "http is not a function", and so would every call. The common
// ways of naming a host tool are found; one named at run time (`ctx.tools[name]`) is told apart.
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { hostToolUse, hostToolsUsed } from "../../src/tools/registry-source.ts";
import { config, legacyServer, SecurityLevel } from "../migration/helpers.ts";

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
    ["no host tool", "const { text_search } = ctx.tools; const { http } = other; const o = { tools: { http: 1 } };", []],
  ])("%s", (_name, source, names) => {
    expect(hostToolsUsed(source)).toEqual(names);
  });

  it("a host tool named at run time is no name found: its line is told", () => {
    expect(hostToolUse("const n = 'http';\nawait ctx.tools[n]({});\nObject.values(ctx.tools);")).toEqual({ names: [], dynamic: [2, 3] });
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
    expect(r.warnings.some((w) => w.includes("line 5: a tool named at run time is not granted a host tool"))).toBe(true);
  });
});
