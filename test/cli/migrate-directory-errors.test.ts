// `scriptengine migrate DIR/` prints each result's errors in full, and the suggestions of its
// error issues, under the table whose NOTES column is clipped (findings-migration #12: errors were
// cut at 80 characters and never shown whole, suggestions never).
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli } from "./helpers.ts";

let server: TestServer;
const LONG = "a message long enough to be clipped in the table: " + "the rest of it says what went wrong. ".repeat(3) + "THE END";

beforeAll(async () => {
  const legacy = join(mkdtempSync(join(tmpdir(), "scriptengine-cli-migrate-dir-")), "legacy");
  mkdirSync(legacy);
  const head = (name: string) => `export const name = "${name}";\nexport const description = "d";\nexport const inputSchema = { type: "object" };\n`;
  writeFileSync(join(legacy, "long.js"), `${head("long_error")}export async function call() { throw new Error(${JSON.stringify(LONG)}); }\n`);
  writeFileSync(join(legacy, "cjs.js"), `exports.name = "cjs_tool";\nexports.call = async () => 1;\n`);
  writeFileSync(join(legacy, "fine.js"), `${head("fine_tool")}export async function call() { return 1; }\n`);
  server = await startServer({ args: ["--set", "pool.workers=1", "--set", `tools.legacy_root=${legacy}`] });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

it("a directory run prints every error in full, and the hints of its error issues, naming the tool", async () => {
  const r = await cli(["--address", server.grpc, "migrate", "./", "--dry-run"], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.split("\n");
  expect(lines).toContain(`long_error: error: smoke_run: the smoke run failed: Error: ${LONG} (line 4, column 38)`);
  expect(lines).toContainEqual(expect.stringMatching(/^cjs: error: metadata_valid: the module failed to load: ReferenceError: exports is not defined/));
  expect(lines).toContainEqual(expect.stringMatching(/^cjs: hint: metadata_valid: a CommonJS tool is read from one `module.exports = \{ ... \}`/));
  expect(lines.filter((l) => l.startsWith("fine_tool:"))).toEqual([]);
  // The table keeps one line a tool, its NOTES clipped, and says so.
  const row = r.stdout.split("\n").find((l) => l.startsWith("long_error"))!;
  expect(row).toMatch(/…$/);
  expect(row).not.toContain("THE END");
  expect(r.stdout).toMatch(/3 tools: 1 ok, 2 failed/);
});
