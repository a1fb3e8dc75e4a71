// Command-line mistakes are usage errors (exit 2) in one line: none of them may pass as a success
// (exit 0) or as the server's internal error (exit 10).
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli, scriptsDir } from "./helpers.ts";

const server = serverForTests();
const dir = scriptsDir("scriptengine-cli-usage-");
const at = () => ["--address", server.grpc];

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

  it("a --timeout no timer can hold is refused in one line, with no Node warning, on every transport", async () => {
    for (const via of [at(), ["--transport", "connect", "--address", server.http]]) {
      const r = await cli([...via, "run", join(dir, "id.js"), "--timeout", "1000h"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`scriptengine: --timeout must be at most 2147473647 ms (about 596h, 24.8 days), got "1000h"\n`);
    }
    // The bound itself runs (the client's deadline, 10 s longer, is the largest timer Node keeps).
    const max = await cli(["--transport", "connect", "--address", server.http, "run", join(dir, "id.js"), "--args", '{"a":1}', "--timeout", "2147473647"]);
    expect([max.code, max.stdout]).toEqual([0, '{\n  "a": 1\n}\n']);
    expect(max.stderr).not.toMatch(/Warning/);
    expect((await cli([...at(), "run", join(dir, "id.js"), "--timeout", "2147473648"])).code).toBe(2);
    const huge = await cli([...at(), "run", join(dir, "id.js"), "--timeout", "100000000000000000000000s"]);
    expect(huge.code).toBe(2);
    oneLine(huge.stderr);
  });

  it("--script-version past uint32 and --after past uint64 are usage errors, not INTERNAL", async () => {
    const v = await cli([...at(), "exec", "nothing", "--script-version", "4294967296"]);
    expect([v.code, v.stderr]).toEqual([2, "scriptengine: --script-version must be at most 4294967295, got 4294967296\n"]);
    expect((await cli([...at(), "exec", "nothing", "--script-version", "4294967295"])).code).toBe(4); // in range: the server answers
    const a = await cli([...at(), "events", "--after", "18446744073709551616"]);
    expect([a.code, a.stderr]).toEqual([2, "scriptengine: --after must be at most 18446744073709551615, got 18446744073709551616\n"]);
  });

  it("TOML syntax errors in the config say line and column", async () => {
    const file = join(dir, "bad.toml");
    writeFileSync(file, "a = 1\n[pool]\nworkers = 2 3\n");
    const r = await cli(["serve", "--config", file, "--data-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid TOML: .*\(line 3, column \d+\)\n/);
  });

  it("run --help says where the repeatable options go", async () => {
    expect((await cli(["run", "--help"])).stdout).toMatch(/--tool and --env take several values: put them after the <file>/);
  });
});
