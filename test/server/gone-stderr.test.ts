// A server whose terminal was closed still drains on the SIGHUP that follows: its log lines then
// fail (EIO) and must be lost, not end the process. /dev/full stands in for the gone terminal here:
// every write to it fails (ENOSPC) the same way, from the first log line on, and needs no pty.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ROOT } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { until, untilMetrics } from "../helpers/until.ts";

const procs: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill("SIGKILL");
});

describe("a stderr that can no longer be written", () => {
  it("SIGHUP still drains the running execution and the server exits 0", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-gone-stderr-"));
    const full = openSync("/dev/full", "w");
    const env = { ...process.env } as Record<string, string>;
    for (const k of Object.keys(env)) if (k.startsWith("SCRIPTENGINE_")) delete env[k];
    const proc = spawn(
      process.execPath,
      [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--set", "pool.workers=1"],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", full] },
    );
    closeSync(full);
    procs.push(proc);
    let out = "";
    proc.stdout!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((res) => proc.once("exit", (code, signal) => res(code ?? (signal ? -1 : null))));
    const addr = await until("the listening line (or the exit)", () => {
      if (proc.exitCode !== null) throw new Error(`the server exited with ${proc.exitCode} before listening`);
      const line = out.split("\n").find((l) => l.includes('"listening"'));
      return line ? (JSON.parse(line).listening as { grpc: string; http: string }) : undefined;
    });
    const scripts = clientFor(ScriptService, "connect", addr);
    const call = scripts
      .runScript({
        source: "const t = Date.now(); while (Date.now() - t < 1500); 7",
        context: { timeout: durationFromMs(60_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } },
      })
      .then((r) => `ok ${r.result?.returnValue?.kind.value}`, (e: Error) => `failed: ${e.message}`);
    await untilMetrics(scripts, "the script runs on the worker", (m) => m.busyIsolates === 1n);
    proc.kill("SIGHUP");
    expect(await call).toBe("ok 7");
    expect(await exited).toBe(0);
  }, 30_000);
});
