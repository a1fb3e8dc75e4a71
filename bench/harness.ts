// Shared benchmark plumbing: start the real server, drive a call with bounded concurrency for
// a fixed time on loopback, and summarise throughput and latency percentiles.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

export const ROOT = resolve(import.meta.dirname, "..");

export interface Summary {
  name: string;
  calls: number;
  errors: number;
  seconds: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

export interface BenchServer {
  grpc: string;
  http: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startBenchServer(extraArgs: string[] = []): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-bench-"));
  const proc = spawn(process.execPath, [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn", ...extraArgs], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const listening = await new Promise<{ grpc: string; http: string }>((res, rej) => {
    createInterface({ input: proc.stdout! }).on("line", (l) => {
      try {
        const m = JSON.parse(l);
        if (m.listening) res(m.listening);
      } catch {
        /* ignore */
      }
    });
    proc.once("exit", (c) => rej(new Error(`server exited ${c}`)));
  });
  return {
    ...listening,
    pid: proc.pid!,
    stop: () =>
      new Promise((res) => {
        proc.once("exit", () => res());
        proc.kill("SIGTERM");
      }),
  };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);

/** Runs `call` with `concurrency` callers for `seconds` (after a short warm-up). */
export async function drive(name: string, call: () => Promise<unknown>, { seconds = 3, concurrency = 32, warmupSeconds = 0.5 } = {}): Promise<Summary> {
  const run = async (duration: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    const end = performance.now() + duration * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await call();
            if (record) latencies.push(performance.now() - t);
          } catch {
            errors++;
          }
        }
      }),
    );
    return { latencies, errors };
  };
  await run(warmupSeconds, false);
  const start = performance.now();
  const { latencies, errors } = await run(seconds, true);
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    name,
    calls: latencies.length,
    errors,
    seconds: Math.round(elapsed * 100) / 100,
    rps: Math.round(latencies.length / elapsed),
    p50_ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99_ms: Math.round(percentile(latencies, 99) * 100) / 100,
  };
}

/** CPU time (user + system) a process has used, ms, from /proc (Linux); 0 where unreadable. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** The direct children of a process (the server's worker processes), from /proc. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function machine() {
  return { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", date: new Date().toISOString() };
}

export function writeResult(file: string, data: unknown): string {
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(data, null, 2) + "\n");
  return path;
}

export function table(rows: Summary[]): string {
  const lines = ["| benchmark | req/s | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|"];
  for (const r of rows) lines.push(`| ${r.name} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} |`);
  return lines.join("\n");
}
