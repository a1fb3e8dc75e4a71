// Runs the server with arguments expected to stop it at start (a config error) and returns its exit
// code and stderr. On free loopback ports with its own data directory: a server that starts anyway
// is stopped as soon as it says it is listening (exit 0, failing the caller's expectation).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./server.ts";

export async function exitAtStart(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-exit-"));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("SCRIPTENGINE_")));
  const base = ["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir];
  const proc = spawn(process.execPath, [join(ROOT, "src/main.ts"), ...base, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  proc.stdout.on("data", (d) => {
    if (String(d).includes('"listening"')) proc.kill("SIGTERM");
  });
  const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
  return { code, stderr };
}
