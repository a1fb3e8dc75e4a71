// Output that cannot be written (stdout on a full disk) is one line on stderr and exit 11: it was
// lost silently with exit 0 (one-shot commands) or a stack trace and exit 1 (streaming commands).
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/server.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { BIN, cli, scriptsDir } from "./helpers.ts";

const server = serverForTests();
const dir = scriptsDir("scriptengine-cli-output-");
const at = () => ["--address", server.grpc];
const ENOSPC = "scriptengine: cannot write output: ENOSPC: no space left on device, write\n";

/** Runs the command with stdout on /dev/full (every write fails with ENOSPC). */
async function toFullDisk(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const full = openSync("/dev/full", "w");
  try {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", full, "pipe"] });
    let stderr = "";
    proc.stderr!.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    const code = await new Promise<number | null>((r) => proc.once("exit", r));
    clearTimeout(timer);
    return { code, stderr };
  } finally {
    closeSync(full);
  }
}

describe.skipIf(!existsSync("/dev/full"))("stdout on a full disk", () => {
  it("one-shot commands exit 11 with one line naming the error, not 0", async () => {
    for (const args of [
      [...at(), "--json", "migrations", "list"],
      [...at(), "--json", "run", join(dir, "id.js"), "--args", '{"a":1}'],
      [...at(), "--json", "metrics"],
    ]) {
      const r = await toFullDisk(args);
      expect([args, r.code, r.stderr]).toEqual([args, 11, ENOSPC]);
    }
  });

  it("events stops at once with the same line, without a stack trace", async () => {
    expect((await cli([...at(), "run", join(dir, "id.js")])).code).toBe(0); // an event to replay
    const r = await toFullDisk([...at(), "--json", "events", "--after", "0"]);
    expect([r.code, r.stderr]).toEqual([11, ENOSPC]);
  });

  it("metrics --watch stops too", async () => {
    const r = await toFullDisk([...at(), "--json", "metrics", "--watch", "100ms"]);
    expect([r.code, r.stderr]).toEqual([11, ENOSPC]);
  });
});
