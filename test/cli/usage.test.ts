// Command-line mistakes are usage errors (exit 2) in one line: none of them may pass as a success
// (exit 0) or as the server's internal error (exit 10).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli } from "./helpers.ts";

let server: TestServer;
let dir: string;
const at = () => ["--address", server.grpc];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scriptengine-cli-usage-"));
  server = await startServer();
  writeFileSync(join(dir, "id.js"), "export default (a) => a");
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});
const oneLine = (stderr: string) => expect(stderr.trim().split("\n")).toHaveLength(1);

describe("usage errors exit 2", () => {
  it("no command, or a group without its subcommand; --help, --version and help stay 0", async () => {
    for (const args of [[], ["migrations"], ["services"]]) expect([args, (await cli(args)).code]).toEqual([args, 2]);
    for (const args of [["--help"], ["--version"], ["help"], ["migrations", "--help"]]) expect([args, (await cli(args)).code]).toEqual([args, 0]);
  });

  it("options before `serve` are refused (the server would ignore them) instead of exiting 0 without serving", async () => {
    const data = mkdtempSync(join(dir, "serve-"));
    const r = await cli(["--json", "serve", "--data-dir", data, "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0"]);
    expect(r.code).toBe(2);
    oneLine(r.stderr);
    expect(r.stderr).toMatch(/^scriptengine: serve takes the server's flags only: put them after `serve`/);
  });
});
