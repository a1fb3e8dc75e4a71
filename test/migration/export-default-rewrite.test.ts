// A tool's default export is made a local by editing its syntax, not its text: a template literal,
// string or comment that reads like an export is left alone, a default-exported function or class
// declaration keeps its name bound, and a compile error keeps the line and column it has in the
// legacy source (JavaScript and TypeScript).
import { describe, expect, it } from "vitest";
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { toolModuleSource } from "../../src/tools/registry-source.ts";
import { check, legacyServer } from "./helpers.ts";

const c = legacyServer();

const migrate = c.migrateFile;
const callTool = async (name: string, args: object = {}): Promise<JsonValue> => {
  const r = await c.scripts.runScript({ source: `export default async (a, ctx) => ctx.tools.${name}(${JSON.stringify(args)})`, context: { availableTools: [name] } });
  expect(r.result!.success, r.result!.error?.message).toBe(true);
  return toJson(ValueSchema, r.result!.returnValue!);
};

const SCAFFOLD = `export const name = "scaffold";
export const description = "returns a module skeleton";
export const version = "1.0.0";
export const inputSchema = { type: "object", properties: {} };
const TEMPLATE = \`// generated
export default function main(args) {
  return args;
}
\`;
export async function call(args) {
  return { text: TEMPLATE };
}
`;

describe("the default export is found in the syntax, not the text", () => {
  it("a template literal holding an export line is returned as written", async () => {
    const r = await migrate("scaffold.js", SCAFFOLD);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("scaffold")).toEqual({ text: "// generated\nexport default function main(args) {\n  return args;\n}\n" });
  });

  it("a commented-out export default above the real one, and one not at the start of its line", async () => {
    const commented = await migrate("commented.js", `/*
export default legacyCall;
*/
export default {
  name: "commented",
  description: "old entry point commented out above",
  async call(args) { return { ok: true }; },
};
`);
    expect(commented.status, commented.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("commented")).toEqual({ ok: true });
    const inline = await migrate("inline.js", `/* legacy tool v2 */ export default { name: "inline", description: "d", async call() { return 1; } };\n`);
    expect(inline.status, inline.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("inline")).toBe(1);
  });

  it("a default-exported function declaration stays bound to its name", async () => {
    const r = await migrate("named.js", `export const name = "named";
export const description = "default-exported named function, referenced by name";
export default async function handler(args) { return { q: args.q ?? null, retries: handler.retries }; }
handler.retries = 3;
`);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("named", { q: "x" })).toEqual({ q: "x", retries: 3 });
  });

  it("a string reading like an export list is no default export", async () => {
    const r = await migrate("strexp.js", `export const name = "strexp";
export const description = "returns a snippet";
export async function call() { return { snippet: "export { helper as default }" }; }
`);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("strexp")).toEqual({ snippet: "export { helper as default }" });
  });

  it("an anonymous default function is ended where it ends: a next line starting with [ does not index it", async () => {
    const r = await migrate("anon.js", `export const name = "anon";
export const description = "d";
export default function (args) { return { n: args.n ?? 0 }; }
[1, 2].forEach(() => {});
`);
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("anon", { n: 4 })).toEqual({ n: 4 });
  });
});

describe("compile errors point into the legacy source", () => {
  it.each([
    ["colerr.js", 59, `export const name = "colerr";\nexport const description = "x";\nexport default { name: "colerr", call(args) { return args.; } };\n`],
    ["colerr2.js", 55, `export const name = "colerr2";\nexport const description = "x";\nconst d = { name: "colerr2", call(args) { return args.; } };\n`],
    ["tserr.ts", 63, `export const name = "tserr";\nexport const description: string = "x";\nexport default { name: "tserr", call(args: any) { return args.; } };\n`],
  ])("%s: line 3, column %s", async (file, column, text) => {
    const r = await migrate(file, text);
    expect(r.status).toBe(MigrationState.FAILED);
    expect(check(r, "compiles").message).toContain(`(line 3, column ${column})`);
  });

  it("every line of the source keeps its length, whatever shape the export takes", () => {
    for (const src of [
      SCAFFOLD,
      "export\ndefault\n{ call() { return 1; } }\n",
      "export /* old */ default(() => 1)\n",
      "const a = 1, b = 2;\nexport { b, a as default };\n",
      "const a = 1;\nexport { a as default, };\n",
      "export default <T,>(x: T): T => x;\n",
      "export default async function handler(args) { return args; }\n",
    ]) {
      const out = toolModuleSource(src).split("\n").slice(0, src.split("\n").length - 1);
      expect(out.map((l) => l.length)).toEqual(src.split("\n").slice(0, -1).map((l) => l.length));
    }
  });
});
