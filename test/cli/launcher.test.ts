// The launcher (src/cli/scriptengine.js): what happens around the commands, in one line or none.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/server.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { BIN, cli, scriptsDir } from "./helpers.ts";

const server = serverForTests();
const dir = scriptsDir("scriptengine-cli-launcher-");
const at = () => ["--address", server.grpc];

describe("the launcher", () => {
  it("events whose reader goes away (| head -1) end quietly with exit 0", async () => {
    const proc = spawn(process.execPath, [BIN, ...at(), "--json", "events", "--after", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => proc.once("exit", r));
    await new Promise((r) => proc.stdout.once("data", r));
    proc.stdout.destroy(); // the reader leaves; the next event's write fails with EPIPE
    let code: number | null | undefined;
    void exited.then((c) => (code = c));
    for (let i = 0; i < 20 && code === undefined; i++) await cli([...at(), "run", join(dir, "id.js")]);
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
  });

  it("an older node gives one line, not a stack trace", async () => {
    const fake = `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.1.0"})`;
    const proc = spawn(process.execPath, ["--import", fake, BIN, "health"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((r) => proc.once("exit", r));
    expect(code).toBe(10);
    expect(stderr).toBe(`scriptengine: needs Node.js 24 or later, but ${process.execPath} is v20.1.0\n`);
  });
});
