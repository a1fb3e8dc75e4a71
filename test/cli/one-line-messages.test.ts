// Server text the CLI prints as one line on stderr (a migration's errors, a rollback's messages, a
// script's error) kept its newlines: a tool whose smoke run threw "boom\r\nerror: forged line" or a
// script throwing "first\nok in 1.00 ms ..." printed a second line that read as the CLI's own.
// Those lines now show newlines escaped, as the CLI's error line does; a script's stderr keeps them.
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli } from "./helpers.ts";

let server: TestServer;
let dir: string;
const at = () => ["--address", server.grpc];
const tool = (name: string, body: string) => `export const name = "${name}";
export const description = "a tool";
export const version = "1.0.0";
export const inputSchema = { type: "object", properties: {} };
export async function call(args) { ${body} }
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scriptengine-cli-lines-"));
  mkdirSync(join(dir, "legacy"));
  writeFileSync(join(dir, "legacy", "thrower.js"), tool("thrower", 'throw new Error("boom\\r\\nerror: forged line");'));
  writeFileSync(join(dir, "legacy", "fine.js"), tool("fine", "return { ok: true };"));
  server = await startServer({ args: ["--set", `tools.legacy_root=${join(dir, "legacy")}`] });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

it("migrate prints each of a result's errors on one line", async () => {
  const r = await cli([...at(), "migrate", "thrower", "--dry-run"]);
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines.filter((l) => l.startsWith("error: "))).toHaveLength(1);
  expect(r.stderr).toContain(String.raw`boom\r\nerror: forged line`);
});

it("rollback prints each message on one line", async () => {
  expect((await cli([...at(), "migrate", "fine"])).code).toBe(0);
  const r = await cli([...at(), "rollback", "fine", "--yes", "--reason", "planned\nerror: forged line"]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(String.raw`reason: planned\nerror: forged line`);
  expect(r.stderr).not.toMatch(/^error: forged/m);
});

it("run prints a script's error on one line, and the script's own stderr with its lines", async () => {
  const file = join(dir, "throws.js");
  writeFileSync(file, 'console.error("one\\ntwo"); throw new Error("first\\nok in 1.00 ms · level safe · cache hit")');
  const r = await cli([...at(), "run", file]);
  expect(r.code).toBe(1);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines.slice(0, 2)).toEqual(["one", "two"]);
  expect(lines.filter((l) => l.startsWith("ok in"))).toEqual([]);
  expect(lines.at(-1)).toMatch(/^scriptengine: script failed \(\w+\): Error: first\\nok in 1\.00 ms · level safe · cache hit/);
});
