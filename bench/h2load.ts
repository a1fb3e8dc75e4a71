// Server capacity measured by h2load (nghttp2), a native load generator, so the figures are the
// server's and not the load generator's. gRPC and Connect requests with an empty message.
import { spawnSync } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface H2loadRow {
  name: string;
  rps: number;
  mean_ms: number;
  max_ms: number;
  succeeded: number;
  failed: number;
}

export const h2loadAvailable = () => spawnSync("h2load", ["--version"]).status === 0;

const dir = mkdtempSync(join(tmpdir(), "h2load-"));
const GRPC_EMPTY = join(dir, "grpc-empty.bin");
const EMPTY_JSON = join(dir, "empty.json");
writeFileSync(GRPC_EMPTY, Buffer.from([0, 0, 0, 0, 0]));
// h2load cannot send a zero-byte body (it maps the file), so Connect is measured with JSON "{}".
writeFileSync(EMPTY_JSON, "{}");

export type Wire = "grpc" | "connect" | "raw";

/** A gRPC request body file: the 5-byte frame header and the serialised message. */
export function grpcBodyFile(message: Uint8Array): string {
  const frame = Buffer.alloc(5 + message.byteLength);
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  const file = join(dir, `body-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(file, frame);
  return file;
}

export interface H2loadOptions {
  bodyFile?: string;
  connections?: number;
  streams?: number;
  warmupSeconds?: number;
}

export function h2load(name: string, url: string, wire: Wire, seconds: number, options: H2loadOptions = {}): H2loadRow {
  const { bodyFile, connections = 4, streams = 32, warmupSeconds = 1 } = options;
  const headers =
    wire === "grpc" ? ["-H", "content-type: application/grpc", "-H", "te: trailers"] : wire === "connect" ? ["-H", "content-type: application/json"] : ["-H", "content-type: application/grpc"];
  const body = bodyFile ?? (wire === "connect" ? EMPTY_JSON : GRPC_EMPTY);
  const r = spawnSync("h2load", ["-c", String(connections), "-m", String(streams), "-D", String(seconds), ...(warmupSeconds > 0 ? [`--warm-up-time=${warmupSeconds}`] : []), "-d", body, ...headers, url], { encoding: "utf8", timeout: (seconds + 30) * 1000 });
  const out = r.stdout ?? "";
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
  const req = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(out);
  const time = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(out);
  const ms = (v: string, u: string) => Number(v) * (u === "us" ? 0.001 : u === "s" ? 1000 : 1);
  return {
    name,
    rps: Math.round(rps),
    mean_ms: time ? Math.round(ms(time[5], time[6]) * 100) / 100 : 0,
    max_ms: time ? Math.round(ms(time[3], time[4]) * 100) / 100 : 0,
    succeeded: Number(req?.[1] ?? 0),
    failed: Number(req?.[2] ?? 0),
  };
}

export function h2table(rows: H2loadRow[]): string {
  const lines = ["| server (h2load, 4 connections x 32 streams) | req/s | mean ms | max ms | failed |", "|---|---:|---:|---:|---:|"];
  for (const r of rows) lines.push(`| ${r.name} | ${r.rps} | ${r.mean_ms} | ${r.max_ms} | ${r.failed} |`);
  return lines.join("\n");
}
