// forbidden_apis (and the host tools a tool is found to use) read code only: comments and the
// text of string, template and regex literals do not count, while real uses, indirect host-tool
// access (`ctx.tools["fs"]`, `tools.call("http")`) and TypeScript sources are still caught.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState, ValidationStatus } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, config, legacyServer } from "./helpers.ts";

const tool = (file: string, name: string, body: string) =>
  writeFileSync(
    join(c.root, file),
    `export const name = "${name}";
export const description = "d";
export const version = "1.0.0";
export const inputSchema = { type: "object", properties: {} };
${body}
`,
  );

function prepare() {
  tool("commented.js", "commented", `// Note: never use eval() or require() here; we read process.env elsewhere.
/* ctx.tools.fs would need Development; fetch("x") is not available */
export async function call() { return "fine"; }`);
  tool("texts.js", "texts", `const help = "call eval(x) or require('y'), read process.env";
const tmpl = \`fetch(\${1 + 1}) and ctx.tools.http(\`;
const re = /process\\.env|new Function\\(/;
export async function call() { return [help, tmpl, re.source].join(" ").length; }`);
  tool("real_eval.js", "real_eval", `export async function call() { return eval("1 + 1"); } // a comment`);
  tool("real_env.js", "real_env", `const msg = "fine"; export async function call() { return process.env.HOME + msg; }`);
  tool("bracket_fs.js", "bracket_fs", `export async function call(args, ctx) { return ctx.tools["fs"]({ path: "x" }); }`);
  tool("call_http.js", "call_http", `export async function call(args, ctx) { return ctx.tools.call("http", { url: "https://example.com" }); }`);
  tool("typed.ts", "typed", `interface Opts { mode: string } // never eval() here
export async function call(args: Opts): Promise<string> { const s: string = "process.env"; return s; }`);
  tool("typed_bad.ts", "typed_bad", `export async function call(args: { a: string }): Promise<number> { return eval("1"); }`);
}
const c = legacyServer({ prepare });

const migrate = (toolName: string, cfg = config()) => c.migration.migrateTool({ toolName, config: cfg }).then((r) => r.result!);

it.each(["commented", "texts", "typed"])("%s: words in comments and literals are not uses", async (name) => {
  const r = await migrate(name);
  expect(r.errors).toEqual([]);
  expect(r.status).toBe(MigrationState.COMPLETED);
  expect(check(r, "forbidden_apis").status).toBe(ValidationStatus.PASSED);
  // Nor is a host tool a comment or a string names one the tool uses.
  expect(toJson(ValueSchema, r.metadata.host_tools!)).toEqual([]);
});

it.each([
  ["real_eval", /line 5: `eval` is not allowed/],
  ["real_env", /line 5: `process` is not available/],
  ["typed_bad", /`eval` is not allowed/],
  ["bracket_fs", /calls the fs host tool, which level safe does not grant/],
  ["call_http", /calls the http host tool, which level safe does not grant/],
])("%s: a real use still fails the check", async (name, message) => {
  const r = await migrate(name, config({ dryRun: true }));
  const f = check(r, "forbidden_apis");
  expect(f.status).toBe(ValidationStatus.FAILED);
  expect(f.message).toMatch(message);
});
