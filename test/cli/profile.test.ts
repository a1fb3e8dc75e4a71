// run/exec --profile FILE: the path is checked before the script runs; a write that fails anyway
// comes after the script's output, which is never lost.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli, scriptsDir } from "./helpers.ts";

const server = serverForTests();
const dir = scriptsDir("scriptengine-cli-profile-", {
  "slow.js": `export default async () => { await new Promise((r) => setTimeout(r, 2500)); console.log("side effect done"); return 42; }`,
});
const at = () => ["--address", server.grpc];

const executions = async () => Number(JSON.parse((await cli([...at(), "--json", "metrics"])).stdout).totalExecutions);

describe("--profile", () => {
  it("an unwritable path is refused before anything runs", async () => {
    const before = await executions();
    const r = await cli([...at(), "run", join(dir, "id.js"), "--profile", "/nonexistent/dir/x.cpuprofile"]);
    const d = await cli([...at(), "run", join(dir, "id.js"), "--profile", dir]);
    expect(await executions()).toBe(before);
    expect([r.code, r.stderr]).toEqual([2, "scriptengine: cannot write --profile /nonexistent/dir/x.cpuprofile: ENOENT (its directory)\n"]);
    expect([d.code, d.stderr]).toEqual([2, `scriptengine: cannot write --profile ${dir}: it is a directory\n`]);
  });

  it("an empty path is a usage error, not a run without a profile", async () => {
    const before = await executions();
    const r = await cli([...at(), "run", join(dir, "id.js"), "--profile", ""]);
    expect([r.code, r.stderr]).toEqual([2, "scriptengine: --profile needs a file name\n"]);
    expect(await executions()).toBe(before);
  });

  it("a write that fails after the run still shows the script's output, then says what was lost", async () => {
    const out = join(dir, "gone");
    mkdirSync(out);
    const run = cli([...at(), "run", join(dir, "slow.js"), "--profile", join(out, "x.cpuprofile")]);
    // Once the script runs (past the CLI's check of the path), the directory goes.
    const busy = async () => Number(JSON.parse((await cli([...at(), "--json", "metrics"])).stdout).busyIsolates ?? 0);
    for (let i = 0; i < 100 && (await busy()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
    rmSync(out, { recursive: true });
    const r = await run;
    expect(r.stdout).toBe("side effect done\n42\n");
    expect(r.stderr).toMatch(/^ok in .*\nscriptengine: the script ran, but its CPU profile could not be written to .*x\.cpuprofile: ENOENT\n$/);
    expect(r.code).toBe(2);
  });
});
