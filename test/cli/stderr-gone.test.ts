// stderr whose reader has gone (`scriptengine run job.js 2>&1 | head -1`, once head has left) was an
// unhandled 'error': a script that succeeded exited 1, and `events` died at its first notice. Lost
// messages now leave the exit code as it was, and a live view goes on while stdout takes its lines.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, type TestServer } from "../helpers/server.ts";
import { BIN, cli } from "./helpers.ts";

let server: TestServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scriptengine-cli-stderr-"));
  // More than a pipe holds: the CLI waits for stdout to drain before it exits, as behind `| head`.
  writeFileSync(join(dir, "many.js"), 'for (let i = 0; i < 20000; i++) console.log("line " + i); console.error("a note"); 42');
  writeFileSync(join(dir, "throws.js"), 'throw new Error("no")');
  server = await startServer();
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

/** Starts the command with fd 2 a pipe whose reader has left (every write EPIPE), or /dev/full. */
function withStderr(args: string[], stderr: "closed" | "full") {
  const full = stderr === "full" ? openSync("/dev/full", "w") : undefined;
  const proc = spawn(process.execPath, [BIN, "-a", server.grpc, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", full ?? "pipe"] });
  if (full !== undefined) closeSync(full);
  proc.stderr?.destroy();
  let stdout = "";
  // stdout is read only after a while: the CLI is still flushing it when its stderr writes fail.
  proc.stdout!.pause();
  setTimeout(() => proc.stdout!.on("data", (d) => (stdout += d)).resume(), 1500);
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const exited = new Promise<number | null>((r) => proc.once("close", (code) => (clearTimeout(timer), r(code))));
  return { proc, exited, stdout: () => stdout };
}

describe("stderr that takes no more", () => {
  it("a reader that left: run keeps its exit code (0, or 1 for a script that threw), stdout whole", async () => {
    const ok = withStderr(["run", join(dir, "many.js")], "closed");
    expect(await ok.exited).toBe(0);
    expect(ok.stdout().split("\n").at(-2)).toBe("42");
    expect(await withStderr(["run", join(dir, "throws.js")], "closed").exited).toBe(1);
  });

  it("events goes on past its 'subscribed' line and stops at Ctrl-C with 130", async () => {
    expect((await cli(["-a", server.grpc, "run", join(dir, "throws.js")])).code).toBe(1); // an event to replay
    const tail = withStderr(["events", "--after", "0"], "closed");
    for (const end = Date.now() + 15_000; !tail.stdout().includes("script_executed"); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > end || tail.proc.exitCode !== null) throw new Error(`events exited ${tail.proc.exitCode}; stdout: ${tail.stdout()}`);
    }
    tail.proc.kill("SIGINT");
    expect(await tail.exited).toBe(130);
  });

  it.skipIf(!existsSync("/dev/full"))("a full disk: the same", async () => {
    expect(await withStderr(["run", join(dir, "many.js")], "full").exited).toBe(0);
  });
});
