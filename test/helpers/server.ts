// Starts the real server (`node src/main.ts`) as a child process on free loopback ports and
// returns its addresses. Every test file gets its own data directory.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { reapWithThisProcess } from "./procs.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface TestServer {
  grpc: string;
  http: string;
  dataDir: string;
  proc: ChildProcess;
  /** Everything the server wrote to stderr (structured logs) so far. */
  logs(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  /** TOML text written to a config file passed with --config. */
  toml?: string;
  args?: string[];
  env?: Record<string, string>;
  dataDir?: string;
  /** A command the server is started through, given node and its arguments last (e.g. sh -c '...; exec "$0" "$@"'). */
  launcher?: string[];
}

export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "scriptengine-test-"));
  const args = [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir];
  if (options.toml !== undefined) {
    const file = join(dataDir, "config.toml");
    writeFileSync(file, options.toml);
    args.push("--config", file);
  }
  args.push(...(options.args ?? []));
  const env: Record<string, string> = { ...process.env, ...options.env } as Record<string, string>;
  for (const k of Object.keys(env)) if (k.startsWith("SCRIPTENGINE_") && !(options.env && k in options.env)) delete env[k];
  const [cmd, ...pre] = options.launcher ?? [process.execPath];
  const proc = spawn(cmd!, options.launcher ? [...pre, process.execPath, ...args] : args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  reapWithThisProcess(proc);
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => proc.once("exit", (code) => res(code)));
  const listening = await new Promise<{ grpc: string; http: string }>((res, rej) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on("line", (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.listening) res(msg.listening);
      } catch {
        /* not ours */
      }
    });
    void exited.then((code) => rej(new Error(`server exited with ${code} before listening:\n${stderr}`)));
  });
  return {
    ...listening,
    dataDir,
    proc,
    logs: () => stderr,
    stop: async (signal = "SIGTERM") => {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Runs the server with these arguments and expects it to exit; returns its code and stderr. */
export async function runServerExpectingExit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, [join(ROOT, "src/main.ts"), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  reapWithThisProcess(proc);
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((res) => proc.once("exit", res));
  return { code, stderr };
}
