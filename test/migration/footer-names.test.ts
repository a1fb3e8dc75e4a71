// A tool's module shares its scope with the footer the engine runs it with: a tool that names its
// own binding as the footer does (`__tool`, `__tool_exports`, `__tool_describe`, `__tool_main`)
// migrates and runs, the footer taking names the source does not have; one with its own `JSON` too.
import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { legacyServer } from "./helpers.ts";

const c = legacyServer();

const named = (name: string, rest: string) => `export const name = "${name}";\nexport const description = "x";\n${rest}`;

const TOOLS: [string, string, number][] = [
  ["own_exports", named("own_exports", "export async function call() { return __tool_exports(); }\nfunction __tool_exports() { return 1; }\n"), 1],
  ["own_main", named("own_main", "export async function call() { return __tool_main; }\nvar __tool_main = 2;\n"), 2],
  ["own_describe", named("own_describe", "export async function call() { return __tool_describe(); }\nconst __tool_describe = () => 3;\n"), 3],
  // Every suffix the footer would try first is taken too.
  ["own_suffixed", named("own_suffixed", "export async function call() { return __tool_main + __tool_main_0; }\nlet __tool_main = 2, __tool_main_0 = 2;\n"), 4],
  // An anonymous default is bound to a local, `__tool` or the next name the source does not have.
  // Describing reads no global: a tool's own JSON is no matter.
  ["own_json", named("own_json", "export const tags = [\"t\"];\nexport async function call() { return JSON.n; }\nconst JSON = { n: 6 };\n"), 6],
  ["own_default", "const __tool = 5, __t000 = 0;\nexport default { name: \"own_default\", description: \"x\", call() { return __tool + __t000; } };\n", 5],
];

describe("the footer's names and the tool's own", () => {
  for (const [name, text, value] of TOOLS) {
    it(`${name} migrates and its call returns ${value}`, async () => {
      const r = await c.migrateFile(`${name}.js`, text);
      expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
      const run = await c.scripts.runScript({ source: `export default async (a, ctx) => ctx.tools.${name}({})`, context: { availableTools: [name] } });
      expect(run.result!.success, run.result!.error?.message).toBe(true);
      expect(toJson(ValueSchema, run.result!.returnValue!)).toBe(value);
    });
  }
});
