// The scans the server runs over a legacy tool's source (tools/registry-source.ts) are linear in
// its size: a hostile or odd source of a megabyte cannot hold the event loop (the quadratic regexes
// they replace took minutes on these inputs).
import { describe, expect, it } from "vitest";
import { forbiddenApis, hostToolsUsed, inferInputSchema, toolModuleSource } from "../../src/tools/registry-source.ts";

const MB = 1024 * 1024;

describe("tool source scans", () => {
  it("still read what they are for", () => {
    const src = `const { query, limit = 5 } = args;\nconst helper = 1;\nexport { helper, call as default };\nfunction call(args) { return args.text; }`;
    expect(Object.keys((inferInputSchema(src).properties as object))).toEqual(expect.arrayContaining(["query", "limit", "text"]));
    expect(toolModuleSource(src)).toContain('return { "default": call }');
  });

  it("hostToolsUsed finds every form that reaches a host tool, in one function", () => {
    expect(hostToolsUsed("ctx.tools.http({})")).toEqual(["http"]);
    expect(hostToolsUsed("ctx.tools?.fs({})")).toEqual(["fs"]);
    expect(hostToolsUsed("ctx.tools['fs']({}); ctx.tools?.[\"http\"]({})")).toEqual(["fs", "http"]);
    expect(hostToolsUsed("tools.call(`http`, {})")).toEqual(["http"]);
    expect(hostToolsUsed("ctx.tools.text_search({}); ctx.tools['fs2']")).toEqual([]);
  });

  it.each([
    ["an unclosed brace before a megabyte of spaces", "{" + " ".repeat(MB)],
    ["a megabyte of unclosed export lists", "export {".repeat(MB / 8)],
    ["a megabyte of unclosed destructurings", "{ a, b".repeat(MB / 6)],
  ])("%s", (_name, source) => {
    expect(inferInputSchema(source)).toMatchObject({ type: "object" });
    expect(toolModuleSource(source).length).toBeGreaterThanOrEqual(source.length);
    expect(forbiddenApis(source)).toBeDefined();
    expect(hostToolsUsed(source)).toBeDefined();
  });
});
