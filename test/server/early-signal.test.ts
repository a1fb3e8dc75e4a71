// A stop signal while `node src/main.ts` is still loading its module graph (about a second on a busy
// machine) got Node's default action: killed by the signal, nothing logged. It is held until the
// handlers are in place, then gives the documented stop: the start finishes, unannounced, exit 0.
// The signal is sent deterministically from inside the load: a resolve hook preloaded with --import
// sends it when src/server.ts is first resolved.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/server.ts";
import { reapWithThisProcess } from "../helpers/procs.ts";

const signalWhileLoading = (signal: string) =>
  "data:text/javascript," +
  encodeURIComponent(`import { registerHooks } from "node:module";
let sent = false;
registerHooks({ resolve(specifier, context, next) {
  const r = next(specifier, context);
  if (!sent && r.url.endsWith("/src/server.ts")) { sent = true; process.kill(process.pid, "${signal}"); }
  return r;
} });`);

function run(signal: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-test-"));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SCRIPTENGINE_")));
  const proc = spawn(process.execPath, ["--import", signalWhileLoading(signal), "src/main.ts", "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  reapWithThisProcess(proc);
  let stdout = "";
  let stderr = "";
  proc.stdout.on("data", (d) => (stdout += d));
  proc.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => proc.once("close", (code, sig) => resolve({ code, signal: sig, stdout, stderr })));
}

describe("a stop signal while the server's modules load", () => {
  for (const signal of ["SIGTERM", "SIGINT"]) {
    it(`${signal}: logged, never announced, exit 0`, async () => {
      const { code, signal: killedBy, stdout, stderr } = await run(signal);
      expect({ code, killedBy }).toEqual({ code: 0, killedBy: null });
      const msgs = stderr.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { msg: string; signal?: string });
      expect(msgs.find((m) => m.msg === "shutdown requested")?.signal).toBe(signal);
      expect(msgs.map((m) => m.msg)).toContain("stopped");
      expect(stdout).not.toContain("listening");
    }, 60_000);
  }
});
