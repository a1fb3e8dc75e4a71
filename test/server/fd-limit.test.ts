// At the process's open-files limit (EMFILE on accept) a port must neither crash nor stop listening:
// libuv accepts and closes what it cannot keep, and once connections close new ones are served.
// The server runs under a low `ulimit -n` so the limit is cheap to reach; since those closes are
// unlogged, the start warns that server.max_connections is above what the limit allows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { createInterface } from "node:readline";
import { ROOT } from "../helpers/server.ts";
import { reapWithThisProcess } from "../helpers/procs.ts";
import { connect, healthCheck } from "../helpers/h2-connections.ts";
import { until } from "../helpers/until.ts";

const OPEN_FILES = 200;
/** More connections than the server has descriptors for. */
const FLOOD = 300;

let proc: ChildProcess;
let stderr = "";
let ports: { grpc: string; http: string };

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-test-"));
  const argv = [process.execPath, join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir];
  proc = spawn("sh", ["-c", `ulimit -n ${OPEN_FILES} && exec "$@"`, "sh", ...argv], { cwd: ROOT, env: { ...process.env, SCRIPTENGINE_POOL_WORKERS: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  reapWithThisProcess(proc);
  proc.stderr!.on("data", (d) => (stderr += d));
  ports = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      try {
        const msg = JSON.parse(line);
        if (msg.listening) resolve(msg.listening);
      } catch {
        /* not ours */
      }
    });
    proc.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  proc.kill("SIGTERM");
  await exited;
});

/** Opens `n` TCP connections to `address` and waits until each is connected or closed. */
async function flood(address: string, n: number): Promise<net.Socket[]> {
  const colon = address.lastIndexOf(":");
  return Promise.all(
    Array.from({ length: n }, () => {
      const socket = net.connect(Number(address.slice(colon + 1)), address.slice(0, colon));
      socket.on("error", () => {});
      return new Promise<net.Socket>((resolve) => {
        socket.once("connect", () => resolve(socket));
        socket.once("close", () => resolve(socket));
      });
    }),
  );
}

describe(`a server at its open-files limit (ulimit -n ${OPEN_FILES})`, () => {
  it("warns at start that server.max_connections is above that limit", () => {
    const line = stderr.split("\n").find((l) => l.includes('"key":"server.max_connections"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: "warn", max_connections: 10000, open_files_limit: OPEN_FILES });
  });

  for (const door of ["grpc", "http"] as const) {
    it(`survives EMFILE on the ${door} port and serves again once connections close`, async () => {
      const sockets = await flood(ports[door], FLOOD);
      // Some were closed by the server: it ran out of descriptors.
      await until("connections closed by the server at the limit", () => sockets.filter((s) => s.destroyed).length > 0);
      expect(proc.exitCode).toBeNull();
      for (const socket of sockets) socket.destroy();
      const session = await until(`a connection served on the ${door} port again`, async () => {
        const next = await connect(ports[door]);
        if (next.outcome === "served") return next.session;
        next.session.destroy();
        return undefined;
      });
      try {
        expect(await healthCheck(session, door)).toBe(door === "http" ? "200" : "0");
      } finally {
        session.destroy();
      }
      expect(proc.exitCode).toBeNull();
      expect(stderr).not.toMatch(/uncaught|EMFILE/i);
    });
  }
});
