// What a directory run reports at the edges (findings-migration #5, #8, #9, #13, #14): every
// manifest entry has a result naming its index, a file whose name is not UTF-8 (or no tool name)
// is recorded under a name ListMigrations' filter takes, lines are V8's (\r, U+2028), a manifest
// over max_source_size migrates entry by entry, and a smoke run on a generated {} says what to pass.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { check, config, legacyServer } from "./helpers.ts";

const LIMIT = 8192;
const c = legacyServer({
  cleanExit: false,
  timeout: 60_000,
  args: ["--set", `max_source_size=${LIMIT}`],
  prepare: (root) => {
    mkdirSync(join(root, "entries"));
    writeFileSync(join(root, "entries", "tools.json"), JSON.stringify({ tools: [{ description: "no name", source: "export default async () => 1" }, "junk"] }));
    mkdirSync(join(root, "names"));
    const unnamed = "export default async function (args) { return 1; }\n";
    writeFileSync(Buffer.concat([Buffer.from(join(root, "names") + "/"), Buffer.from("caf\xe9.js", "latin1")]), unnamed);
    writeFileSync(join(root, "names", "my tool.js"), unnamed);
    mkdirSync(join(root, "big"));
    const filler = "x".repeat(3000);
    const tools = ["a", "b", "c"].map((n) => ({ name: `big_${n}`, description: "d", inputSchema: { type: "object" }, source: `export default async () => "${n}${filler}".length` }));
    writeFileSync(join(root, "big", "big.json"), JSON.stringify({ tools }));
    mkdirSync(join(root, "lines"));
    const lines = (name: string, eol: string, body: string) =>
      [`export const name = "${name}";`, `export const description = "d";`, `export const inputSchema = {type:"object"};`, body, ""].join(eol);
    writeFileSync(join(root, "lines", "cr-open.js"), lines("cr_open", "\r", "export async function call() { return 1 +; }"));
    writeFileSync(join(root, "lines", "cr-throw.js"), lines("cr_throw", "\r", `export async function call() {\r  throw new Error("boom");\r}`));
    writeFileSync(join(root, "lines", "ls-throw.js"), lines("ls_throw", "\u2028", `export async function call() {\u2029  throw new Error("boom");\u2029}`));
    mkdirSync(join(root, "smoke"));
    writeFileSync(join(root, "smoke", "tools.json"), JSON.stringify({ tools: [{ name: "word_count", description: "d", source: "export default async ({ text }) => text.split(' ').length" }] }));
  },
});

async function run(directory: string, dryRun = true): Promise<MigrationResult[]> {
  const out: MigrationResult[] = [];
  for await (const s of c.migration.migrateDirectory({ directory, config: config({ dryRun }) })) out.push(s.result!);
  return out;
}
const source = (r: MigrationResult) => r.metadata.source?.kind.value;

it("a manifest entry with no name, or no object, is a result of its own, by its index", async () => {
  const rs = await run("entries");
  expect(rs.map((r) => [r.toolName, r.status, source(r), r.errors])).toEqual([
    ["tools.json[0]", MigrationState.FAILED, "manifest:entries/tools.json#[0]", ["the entry tools[0] of entries/tools.json has no name (a string that is not empty), so it names no tool"]],
    ["tools.json[1]", MigrationState.FAILED, "manifest:entries/tools.json#[1]", [`the entry tools[1] of entries/tools.json is not an object (got "junk"): a tool's entry is an object with a name`]],
  ]);
});

it("a file whose name is not UTF-8, or names no tool, is recorded under a name the filter takes", async () => {
  const rs = await run("names", false);
  expect(rs.map((r) => [r.toolName, r.status])).toEqual([
    ["my_tool", MigrationState.FAILED],
    ["caf_xE9", MigrationState.FAILED],
  ]);
  expect(rs[1].errors).toEqual(["source_readable: the file name names/caf\\xE9.js is not valid UTF-8 (0xE9 at byte 3, shown as \\xE9), so the tool cannot be migrated; rename it as UTF-8"]);
  for (const r of rs) {
    const listed = await c.migration.listMigrations({ filter: { toolName: r.toolName } });
    expect(listed.migrations.map((m) => m.migrationId)).toEqual([r.migrationId]);
  }
});

it("a manifest over max_source_size migrates entry by entry, each within it", async () => {
  const rs = await run("big", false);
  expect(rs.map((r) => [r.toolName, r.status, r.errors])).toEqual(["big_a", "big_b", "big_c"].map((n) => [n, MigrationState.COMPLETED, []]));
});

it("lines are counted as V8 counts them: \\r and U+2028/U+2029 end lines", async () => {
  const rs = await run("lines");
  const byName = Object.fromEntries(rs.map((r) => [r.toolName, r]));
  expect(check(byName.cr_open, "compiles").message).toBe("does not compile: Unexpected token ';' (line 4, column 42)");
  expect(check(byName.cr_throw, "smoke_run").message).toBe("the smoke run failed: Error: boom (line 5, column 9)");
  expect(check(byName.ls_throw, "smoke_run").message).toBe("the smoke run failed: Error: boom (line 5, column 9)");
});

it("a smoke run that fails on the {} made for a tool with no inputSchema suggests smoke_run_arguments", async () => {
  const [r] = await run("smoke");
  const issue = r.validationResults[0].issues.find((i) => i.check === "smoke_run");
  expect(issue?.message).toMatch(/^the smoke run failed: TypeError: Cannot read properties of undefined \(reading 'split'\)/);
  expect(issue?.suggestion).toBe("it ran with {}, as the tool declares no inputSchema: set validation.smoke_run_arguments to an input the tool takes (or declare inputSchema)");
  // With arguments given, it passes.
  const given = (await c.migration.migrateTool({ toolName: "word_count", config: config({ manifest: "smoke/tools.json", dryRun: true, smokeArgs: { text: "a b" } }) })).result!;
  expect(given.errors).toEqual([]);
});
