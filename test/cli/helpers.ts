// Runs the real `scriptengine` binary (package.json "bin") as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers/server.ts";
import { resolveConnection } from "../../src/cli/connection.ts";

export const BIN = join(ROOT, "src/cli/scriptengine.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("SE_") && !k.startsWith("SCRIPTENGINE_")) out[k] = v;
  return { ...out, ...env };
}

export function cli(args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(options.env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`scriptengine ${args.join(" ")} did not exit:\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 20_000);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    proc.stdin.end(options.input ?? "");
  });
}

/** A long-running command (events, metrics --watch, a slow run): read its output as it comes, then SIGINT it. */
export function live(args: string[], env?: Record<string, string>) {
  const proc: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (d) => (stdout += d));
  proc.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => proc.once("exit", r));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    /** Its exit code, once it exits by itself. */
    exited,
    async waitFor(test: (stdout: string, stderr: string) => boolean, timeoutMs = 10_000) {
      const end = Date.now() + timeoutMs;
      while (!test(stdout, stderr)) {
        if (Date.now() > end) throw new Error(`timed out waiting; stdout:\n${stdout}\nstderr:\n${stderr}`);
        if (proc.exitCode !== null) throw new Error(`exited ${proc.exitCode}; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    /** Ctrl-C (or another signal); its exit code. */
    async interrupt(signal: NodeJS.Signals = "SIGINT"): Promise<number | null> {
      proc.kill(signal);
      return exited;
    },
  };
}

/** How resolveConnection answers these options: "accepted", or the refusal's [exit code, message]. */
export function refusal(o: Parameters<typeof resolveConnection>[0], env: NodeJS.ProcessEnv = {}): "accepted" | [number | undefined, string] {
  try {
    resolveConnection(o, env);
  } catch (e) {
    return [(e as { exitCode?: number }).exitCode, (e as Error).message];
  }
  return "accepted";
}

/** A new temporary directory holding id.js (a script returning its arguments) and `files` (name: text). */
export function scriptsDir(prefix: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries({ "id.js": "export default (a) => a", ...files })) writeFileSync(join(dir, name), text);
  return dir;
}
