// Legacy forms and directory runs: a smoke run breaking the declared outputSchema fails the
// migration (every call would fail); a directory's JSON files that are no manifests (package.json,
// tsconfig.json) are passed by, not FAILED tools; a file that only default-exports its call function
// takes the tool_name it is migrated under; a source that failed claims no name, so a later copy of the
// tool is not a "duplicate"; the example slugify takes its separator as text.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationState, ValidationStatus, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { ROOT } from "../helpers/server.ts";
import { failure } from "../helpers/errors.ts";
import { check, config, type ConfigInput, legacyServer } from "./helpers.ts";

const head = (name: string, extra = "") => `export const name = "${name}";
export const description = "d";
export const version = "1.0.0";
export const inputSchema = { type: "object" };
${extra}`;

const c = legacyServer({
  prepare: (root) => {
    const put = (path: string, text: string) => {
      mkdirSync(join(root, path, ".."), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    // outputSchema
    put("out_bad.mjs", head("out_bad", `export const outputSchema = { type: "object", properties: { n: { type: "number" } }, required: ["n"] };\nexport async function call() { return { n: "not a number" }; }\n`));
    put("out_none.mjs", head("out_none", `export const outputSchema = { type: "object", required: ["n"] };\nexport async function call() {}\n`));
    // A directory of tools beside other JSON
    put("proj/tool_a.mjs", head("tool_a", "export async function call() { return 'a'; }\n"));
    put("proj/package.json", JSON.stringify({ name: "legacy-tools", version: "1.0.0", scripts: { test: "node --test" } }));
    put("proj/tsconfig.json", `{\n  // comments: JSONC, not JSON\n  "compilerOptions": { "strict": true }\n}\n`);
    put("proj/tools.json", JSON.stringify({ tools: [{ name: "tool_m", description: "d", source: "export default async () => 'm'" }] }));
    put("proj/broken.json", `{ "tools": [ { "name": "half" `);
    // Default-exported call functions
    put("echo_fn.mjs", "export default async function (args) { return { echoed: args }; }\n");
    put("cjs_fn.js", "module.exports = async function (args) { return { cjs: args }; };\n");
    put("fns/echo-dir.mjs", "export default async (args) => ({ dir: args });\n");
    // A broken copy of a tool, then a good one
    put("twins/a-old.mjs", `export const name = "twin";\nexport const description = "old";\nexport async function call( { return 1 }\n`);
    put("twins/b-new.mjs", head("twin", "export async function call() { return 'good'; }\n"));
  },
});

const migrate = (toolName: string, cfg = config()) => c.migration.migrateTool({ toolName, config: cfg }).then((r) => r.result!);

async function migrateDirectory(directory: string, cfg: ConfigInput = {}): Promise<{ total: number; results: MigrationResult[] }> {
  const results: MigrationResult[] = [];
  let total = 0;
  for await (const s of c.migration.migrateDirectory({ directory, config: config(cfg) })) {
    total = s.total;
    results.push(s.result!);
  }
  return { total, results };
}

async function callTool(name: string, args: unknown) {
  const r = await c.scripts.runScript({ source: `export default async (a, ctx) => ctx.tools.${name}(${JSON.stringify(args)})`, context: { availableTools: [name] } });
  expect(r.result?.success, r.result?.error?.message).toBe(true);
  return toJson(ValueSchema, r.result!.returnValue!);
}

describe("smoke_run and outputSchema", () => {
  it.each([
    ["out_bad", /\/n must be number/],
    ["out_none", /must be object/],
  ])("%s: a result that breaks outputSchema fails the migration, and no tool is registered", async (name, why) => {
    const r = await migrate(name);
    expect(r.status).toBe(MigrationState.FAILED);
    const smoke = check(r, "smoke_run");
    expect(smoke.status).toBe(ValidationStatus.FAILED);
    expect(smoke.message).toMatch(/the smoke run's result does not match outputSchema, so the tool's calls would fail/);
    expect(smoke.message).toMatch(why);
    expect(r.errors.join("\n")).toMatch(/smoke_run: the smoke run's result does not match outputSchema/);
    expect((await failure(c.tools.getTool({ name }))).reason).toBe("TOOL_NOT_FOUND");
  });
});

describe("MigrateDirectory: JSON files that are no manifests", () => {
  it("passes by package.json and tsconfig.json; takes the manifest's entries and reports a broken manifest", async () => {
    const { total, results } = await migrateDirectory("proj", { dryRun: true });
    expect(results.map((r) => [r.toolName, r.status])).toEqual([
      ["tool_a", MigrationState.DRY_RUN],
      ["broken", MigrationState.FAILED],
      ["tool_m", MigrationState.DRY_RUN],
    ]);
    expect(total).toBe(3);
    expect(results[1].errors.join()).toMatch(/proj\/broken\.json is not valid JSON/);
  });

  it("an explicit manifest_path that is no manifest is still refused as such", async () => {
    const r = await migrate("legacy_tools", config({ manifest: "proj/package.json", dryRun: true }));
    expect(r.errors.join()).toMatch(/proj\/package\.json has no "tools" array/);
  });
});

describe("a file that default-exports its call function", () => {
  it.each([
    ["echo_fn", { echoed: { x: 1 } }],
    ["cjs_fn", { cjs: { x: 1 } }],
  ])("%s migrates under the tool_name asked for, and scripts call it", async (name, expected) => {
    const r = await migrate(name);
    expect(r.errors).toEqual([]);
    expect(r.status).toBe(MigrationState.COMPLETED);
    expect(check(r, "metadata_valid").status).not.toBe(ValidationStatus.FAILED);
    expect(await callTool(name, { x: 1 })).toEqual(expected);
  });

  it("in a directory run, where no name is given, the error says how to give one; given with the file, it migrates", async () => {
    const { results } = await migrateDirectory("fns");
    expect(results.map((r) => [r.toolName, r.status])).toEqual([["echo-dir", MigrationState.FAILED]]);
    const issue = results[0].validationResults[0].issues.find((i) => i.check === "metadata_valid");
    expect(issue?.message).toMatch(/name must be .*\(got null\)/);
    expect(issue?.suggestion).toMatch(/or migrate the file with tool_name set \(and config.source.file_path\)/);
    const r = (await c.migration.migrateTool({ toolName: "echo_dir", config: config({ file: "fns/echo-dir.mjs" }) })).result!;
    expect(r.status, r.errors.join("; ")).toBe(MigrationState.COMPLETED);
    expect(await callTool("echo_dir", { y: 2 })).toEqual({ dir: { y: 2 } });
  });
});

describe("MigrateDirectory: duplicates", () => {
  it("a source that failed claims no name: the later good copy migrates", async () => {
    const { results } = await migrateDirectory("twins");
    expect(results.map((r) => [r.toolName, r.status])).toEqual([
      ["twin", MigrationState.FAILED],
      ["twin", MigrationState.COMPLETED],
    ]);
    expect(results[0].errors.join()).toMatch(/does not compile/);
    expect((await c.tools.getTool({ name: "twin" })).tool?.description).toBe("d");
    expect(await callTool("twin", {})).toBe("good");
  });
});

describe("the example slugify tool", () => {
  it("takes its separator as text, not as a pattern", async () => {
    const { default: slugify } = (await import(join(ROOT, "examples/legacy-tools/manifest-src/slugify.js"))) as { default: (a: { text: string; separator?: string }) => Promise<string> };
    expect(await slugify({ text: " Hello, World! " })).toBe("hello-world");
    for (const sep of [".", "(", "*", "$&", "--", ""]) expect(await slugify({ text: " Hello, World! ", separator: sep })).toBe(`hello${sep}world`);
  });
});
