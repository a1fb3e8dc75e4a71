// A legacy tool written as CommonJS, `module.exports = { ... }` at its top level, migrates as the
// same object default-exported would; its errors keep their lines. Other CommonJS forms fail
// loading, as before, now with a suggestion that says which form is read.
import { describe, expect, it } from "vitest";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { toolModuleSource } from "../../src/tools/registry-source.ts";
import { check, config, legacyServer } from "./helpers.ts";

const c = legacyServer();

const run = (name: string, args: object) =>
  c.scripts.runScript({ source: `export default async (a, ctx) => ctx.tools.${name}(${JSON.stringify(args)})`, context: { availableTools: [name] } });
const callTool = async (name: string, args: object): Promise<JsonValue> => {
  const r = await run(name, args);
  expect(r.result!.success, r.result!.error?.message).toBe(true);
  return toJson(ValueSchema, r.result!.returnValue!);
};

const ADD = `'use strict';
const helper = (a, b) => a + b;

module.exports = {
  name: "cjs_add",
  description: "adds two numbers",
  version: "2.1.0",
  inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] },
  async call(args) {
    if (args.a < 0) throw new RangeError("no negative numbers");
    return helper(args.a, args.b);
  },
};
`;

describe("CommonJS legacy tools", () => {
  it("module.exports = { ... } migrates, runs, and its errors keep their lines", async () => {
    const r = await c.migrateFile("cjs-add.js", ADD);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(check(r, "metadata_valid").message).not.toContain("failed to load");
    const tool = (await c.tools.getTool({ name: "cjs_add" })).tool!;
    expect(tool).toMatchObject({ name: "cjs_add", description: "adds two numbers", version: "2.1.0" });
    expect(await callTool("cjs_add", { a: 2, b: 3 })).toBe(5);
    const thrown = await run("cjs_add", { a: -1, b: 3 });
    expect(thrown.result!.success).toBe(false);
    expect(thrown.result!.error!.message).toContain("no negative numbers");
    // A smoke run that throws names the line and column of the throw in the legacy source.
    const smoke = (await c.migration.migrateTool({ config: config({ file: "cjs-add.js", dryRun: true, force: true, smokeArgs: { a: -1, b: 3 } }) })).result!;
    expect(check(smoke, "smoke_run").message).toBe("the smoke run failed: RangeError: no negative numbers (line 10, column 27)");
  });

  it("a function assigned to module.exports is the call itself; module-level names are not read", async () => {
    const fn = await c.migrateFile("cjs-fn.js", `var name = "cjs_fn";\nmodule.exports = function (args) {\n  return { echoed: args.text };\n};\n`);
    // The call is found; the name is not (a CommonJS file exports module.exports only).
    expect(fn.status).toBe(MigrationState.FAILED);
    expect(fn.errors.join("; ")).toContain("name must be");
    expect(fn.errors.join("; ")).not.toContain("exports no call function");
    const named = await c.migrateFile("cjs-echo.js", `module.exports = {\n  name: "cjs_echo",\n  description: "echoes",\n  call: (args) => ({ echoed: args.text }),\n};\n`);
    expect(named.status, named.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("cjs_echo", { text: "hi" })).toEqual({ echoed: "hi" });
  });

  it("exports.x = ... and a second module.exports are not read: loading fails and says which form is", async () => {
    for (const [file, text] of [
      ["cjs-named.js", `exports.name = "cjs_named";\nexports.call = (args) => args;\n`],
      ["cjs-twice.js", `module.exports = { name: "cjs_twice", call: () => 1 };\nmodule.exports = { name: "cjs_twice", call: () => 2 };\n`],
      ["cjs-member.js", `module.exports = { name: "cjs_member" };\nmodule.exports.call = () => 1;\n`],
    ] as const) {
      const r = await c.migrateFile(file, text);
      expect(r.status, file).toBe(MigrationState.FAILED);
      const issue = r.validationResults[0]!.issues.find((i) => i.check === "metadata_valid");
      expect(issue?.message, file).toMatch(/module failed to load: ReferenceError: (module|exports) is not defined/);
      expect(issue?.suggestion, file).toContain("module.exports = { ... }");
    }
  });

  it("only the assignment is rewritten, in place: a string or comment naming module.exports is left alone", () => {
    const src = `// module.exports = old\nconst note = "module.exports = { x }";\nmodule.exports = { name: "n", call: () => note };\n`;
    const out = toolModuleSource(src);
    expect(out.split("\n").slice(0, 3)).toEqual([
      "// module.exports = old",
      'const note = "module.exports = { x }";',
      'let __tool=      { name: "n", call: () => note };',
    ]);
    // An ES module is never read as CommonJS, even when it assigns module.exports.
    expect(toolModuleSource(`export const name = "n";\nmodule.exports = {};\n`)).toContain("module.exports = {};");
  });
});
