// At start the registry compiles every registered tool's schemas; one this server does not compile
// (stored by a server that read it otherwise: RE2 syntax ECMA-262 refuses, say) is reported with its
// reason, so the operator hears it then, not from each call failing.
import { expect, it } from "vitest";
import type { Config } from "../../src/config/types.ts";
import type { Engine } from "../../src/engine/index.ts";
import type { StoredTool, ToolRepository } from "../../src/store/tools.ts";
import { SchemaValidator, ToolRegistry } from "../../src/tools/registry.ts";

it("compileSchemas names the tools whose schemas do not compile, and why", () => {
  const stored = [
    { name: "fine", inputSchema: { type: "object", properties: { a: { type: "string", pattern: "^[a-z]+$" } } } },
    { name: "re2_only", inputSchema: { type: "object", properties: { a: { type: "string", pattern: "(?i)^abc$" } } } },
    { name: "unknown_dialect", inputSchema: { $schema: "http://json-schema.org/draft-03/schema#", type: "object" } },
  ] as unknown as StoredTool[];
  const tools = {
    list: (after: string) => stored.filter((t) => t.name > after),
    get: (n: string) => stored.find((t) => t.name === n),
    count: () => stored.length,
  } as unknown as ToolRepository;
  const reg = new ToolRegistry({ config: {} as Config, engine: {} as Engine, tools, schemas: new SchemaValidator() });
  const r = reg.compileSchemas();
  expect([r.tools, r.schemas]).toEqual([3, 1]);
  expect(r.failed.map((f) => f.tool)).toEqual(["re2_only", "unknown_dialect"]);
  expect(r.failed[0]!.error).toMatch(/not a valid ECMA-262 regular expression/);
  expect(r.failed[1]!.error).toMatch(/is not a JSON Schema dialect this server checks/);
});
