// forbidden_apis and what a tool reads that the engine does not have: Node.js and browser globals
// (Buffer, TextEncoder, URL, crypto, `const { env } = process`) and calls of other registered tools
// (a tool's ctx.tools holds the host tools only), on branches the smoke run does not take, fail the
// check instead of failing at call time. The engine really lacks every global the check names.
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { ENGINE_LACKS, engineGlobalsFindings } from "../../src/migration/engine-globals.ts";
import { parseToolSource } from "../../src/tools/registry-source.ts";
import { check, config, legacyServer } from "./helpers.ts";

const head = (name: string) => `export const name = "${name}";
export const description = "d";
export const version = "1.0.0";
export const inputSchema = { type: "object", properties: { mode: { type: "string" } } };
`;

const c = legacyServer({
  prepare: (root) => {
    const tool = (name: string, body: string) => writeFileSync(join(root, `${name}.mjs`), head(name) + body);
    // Each use sits on a branch the smoke run (mode unset) does not take.
    tool("uses_buffer", `export async function call({ mode }) { if (mode === "b") return Buffer.from("x").toString("base64"); return 1; }`);
    tool("uses_encoder", `export async function call({ mode }) { if (mode === "e") return [...new TextEncoder().encode("x")]; return 1; }`);
    tool("uses_url", `export async function call({ mode }) { if (mode === "u") return new URL("https://a.example/x").host; return 1; }`);
    tool("uses_crypto", `export async function call({ mode }) { if (mode === "c") return crypto.randomUUID(); return 1; }`);
    tool("uses_env", `export async function call({ mode }) {\n  if (mode === "p") {\n    const { env } = process;\n    return env.HOME;\n  }\n  return 1;\n}`);
    tool("calls_tool", `export async function call({ mode }, ctx) { if (mode === "t") return ctx.tools.word_count({ text: "a b" }); return 1; }`);
    tool("calls_by_name", `export async function call({ mode }, ctx) { if (mode === "t") return ctx.tools.call("word_count", { text: "a b" }); return 1; }`);
    // Feature detection is no use: only the fallback runs, and the tool migrates.
    tool("detects", `export async function call() { return typeof Buffer !== "undefined" ? "node" : "engine"; }`);
    // Its own binding of such a name, and a tool's own list named tools, are no uses either.
    tool("own_names", `const URL = (s) => s.length; export async function call(args = {}) { const tools = args.tools ?? []; return URL("abc") + tools.map((t) => t).length; }`);
  },
});

const migrate = (toolName: string) => c.migration.migrateTool({ toolName, config: config({ dryRun: true }) }).then((r) => r.result!);

describe("forbidden_apis: what the engine lacks", () => {
  it("the engine lacks every global the check names", async () => {
    const source = `export default () => Object.fromEntries(${JSON.stringify(ENGINE_LACKS)}.map((n) => [n, typeof globalThis[n]]))`;
    const r = await c.scripts.runScript({ source });
    expect(r.result?.success, r.result?.error?.message).toBe(true);
    expect(toJson(ValueSchema, r.result!.returnValue!)).toEqual(Object.fromEntries(ENGINE_LACKS.map((n) => [n, "undefined"])));
  });

  it.each([
    ["uses_buffer", /line 5: `Buffer` is not available in the engine/],
    ["uses_encoder", /line 5: `TextEncoder` is not available in the engine/],
    ["uses_url", /line 5: `URL` is not available in the engine/],
    ["uses_crypto", /line 5: `crypto` is not available in the engine/],
    ["uses_env", /line 7: `process` is not available in the engine/],
  ])("%s fails the check (on a branch a smoke run would not take)", async (name, message) => {
    const r = await migrate(name);
    expect(r.status).toBe(MigrationState.DRY_RUN);
    expect(r.newToolId).toBeFalsy();
    const f = check(r, "forbidden_apis");
    expect(f.status).toBe(ValidationStatus.FAILED);
    expect(f.message).toMatch(message);
    expect(r.errors.join("\n")).toMatch(message);
  });

  // Told by the name `tools` alone (it may be an object of the tool's own), a warning: the tool migrates.
  it.each([
    ["calls_tool", /line 5: the tool seems to call the tool word_count, .*registered tools do not call each other/],
    ["calls_by_name", /line 5: the tool seems to call the tool word_count, /],
  ])("%s is warned of", async (name, message) => {
    const r = await migrate(name);
    expect(r.status).toBe(MigrationState.DRY_RUN);
    const f = check(r, "forbidden_apis");
    expect(f.status).toBe(ValidationStatus.WARNING);
    expect(f.message).toMatch(message);
  });

  it.each(["detects", "own_names"])("%s passes: feature detection and its own names are no uses", async (name) => {
    const r = await migrate(name);
    expect(r.errors).toEqual([]);
    expect(check(r, "forbidden_apis")).toMatchObject({ status: ValidationStatus.PASSED });
  });
});

describe("engineGlobalsFindings", () => {
  const findings = (source: string) => engineGlobalsFindings(source, parseToolSource(source)).map((f) => [f.severity, f.line, f.message]);

  it("a global read both bare and behind typeof, or from the global object, is a warning", () => {
    expect(findings(`export function call() {\n  if (typeof TextDecoder === "function") return new TextDecoder().decode(new Uint8Array());\n  return globalThis.crypto?.randomUUID?.();\n}`)).toEqual([
      ["warning", 2, "`TextDecoder` is not available in the engine: the tool tests typeof TextDecoder, so only its code for a missing TextDecoder runs"],
      ["warning", 3, "`crypto` is not available in the engine (read from the global object, it is undefined)"],
    ]);
  });

  it("destructured tools and the host tools: only the other tools count", () => {
    const got = findings(`export function call(a, { tools: { http, word_count } }) {\n  const { fs, lookup } = a.ctx.tools;\n  return [http, fs, a.list.tools.filter(Boolean)];\n}`);
    expect(got.map(([, line, m]) => [line, String(m).replace(/,.*/, "")])).toEqual([
      [1, "the tool seems to call the tool word_count"],
      [2, "the tool seems to call the tool lookup"],
    ]);
  });

  it("no finding for typeof in parentheses, a polyfilled global, or a tools object of the tool's own", () => {
    const source = [
      'const isNode = typeof(process) !== "undefined" && typeof (window) === "undefined";',
      'globalThis.btoa = (s) => s; // a polyfill',
      'const tools = { upper: (s) => s.toUpperCase() };',
      "export function call(args) {",
      '  const parts = args.tools.split(",");',
      "  return [isNode, btoa(tools.upper(parts[0])), args.tools.trim()];",
      "}",
    ].join("\n");
    expect(findings(source)).toEqual([]);
  });

  it("a tools object that is only a parameter is the one ctx.tools gives", () => {
    expect(findings("export function call(args, { tools }) { return tools.word_count(args); }").map(([sev, , m]) => [sev, String(m).replace(/,.*/, "")])).toEqual([
      ["warning", "the tool seems to call the tool word_count"],
    ]);
  });

  it("property names, keys, labels and a TypeScript tool's types are no uses", () => {
    const ts = `interface Opts { url: URL }\nexport const o = { Buffer: 1, process: 2 };\nexport function call(a: Opts) { return o.Buffer + o.process; }`;
    expect(engineGlobalsFindings(ts, parseToolSource(ts))).toEqual([]);
  });
});
