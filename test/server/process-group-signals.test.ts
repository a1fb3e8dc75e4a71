// A signal sent to the server's whole process group (Ctrl-C in a terminal, SIGHUP when the terminal
// closes, systemd's KillMode=control-group SIGTERM) reaches its worker processes too: they must
// outlive it so the running execution still drains within server.shutdown_grace. Also: a signal
// repeated during the drain. (A grace at its maximum and a signal while starting: shutdown.test.ts.)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ROOT } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { alive, childPids } from "../helpers/procs.ts";
import { until, untilMetrics } from "../helpers/until.ts";

interface GroupServer {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

const started: GroupServer[] = [];

/** The server as a process-group leader (as under a terminal or systemd): `-pid` signals it and its workers. */
function spawnGroup(toml: string): GroupServer {
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-pg-"));
  writeFileSync(join(dataDir, "config.toml"), toml);
  const env = { ...process.env } as Record<string, string>;
  for (const k of Object.keys(env)) if (k.startsWith("SCRIPTENGINE_")) delete env[k];
  const proc = spawn(
    process.execPath,
    [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--config", join(dataDir, "config.toml")],
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((res) => proc.once("exit", (code, signal) => res(code ?? (signal ? -1 : null))));
  const server = { proc, out: () => out, err: () => err, exited };
  started.push(server);
  return server;
}

afterEach(() => {
  for (const s of started.splice(0)) {
    try {
      process.kill(-s.proc.pid!, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

/**
 * Starts a server with one worker and a script running on it (busy for `ms`, then returns 7; at
 * Development with a 60 s timeout, so no level limit ends it first).
 */
async function withRunningScript(toml = "", ms = 2500) {
  const server = spawnGroup(`[pool]\nworkers = 1\n${toml}`);
  const addr = await until("the listening line", () => {
    const line = server.out().split("\n").find((l) => l.includes('"listening"'));
    return line ? (JSON.parse(line).listening as { grpc: string; http: string }) : undefined;
  });
  const scripts = clientFor(ScriptService, "connect", addr);
  const workers = childPids(server.proc.pid!);
  expect(workers.length).toBe(1);
  const call = clientFor(ScriptService, "connect", addr)
    .runScript({
      source: `const t = Date.now(); while (Date.now() - t < ${ms}); 7`,
      context: { timeout: durationFromMs(60_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } },
    })
    .then((r) => `ok ${r.result?.returnValue?.kind.value}`, (e: Error) => `failed: ${e.message}`);
  await untilMetrics(scripts, "the script runs on the worker", (m) => m.busyIsolates === 1n);
  return { server, call, workers };
}

describe("signals to the whole process group", () => {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal} to the group drains the running execution instead of killing its worker`, async () => {
      const { server, call } = await withRunningScript();
      process.kill(-server.proc.pid!, signal);
      expect(await call).toBe("ok 7");
      expect(await server.exited).toBe(0);
      expect(server.err()).not.toMatch(/worker replaced/);
      expect(server.err()).toMatch(/"msg":"stopped"/);
    }, 30_000);
  }
});

describe("a signal repeated during the drain", () => {
  it("a second SIGTERM is logged and the drain goes on", async () => {
    const { server, call } = await withRunningScript();
    process.kill(-server.proc.pid!, "SIGTERM");
    await until("the shutdown", () => server.err().includes('"shutdown requested"'));
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-server.proc.pid!, "SIGTERM");
    expect(await call).toBe("ok 7");
    expect(await server.exited).toBe(0);
    expect(server.err()).toMatch(/"msg":"shutdown already in progress","service":"scriptengine","signal":"SIGTERM"/);
    expect(server.err()).toMatch(/"msg":"stopped"/);
  }, 30_000);

  it("Ctrl-C again forces the exit (130), says so, and leaves no worker behind", async () => {
    // Far longer than the steps to the second press take on a loaded machine: the drain must still be on.
    const { server, call, workers } = await withRunningScript('[server]\nshutdown_grace = "60s"\n', 20_000);
    process.kill(-server.proc.pid!, "SIGINT");
    await until("the shutdown", () => server.err().includes('"shutdown requested"'));
    await new Promise((r) => setTimeout(r, 1100)); // a second press, not the first one delivered twice
    process.kill(-server.proc.pid!, "SIGINT");
    expect(await server.exited).toBe(130);
    expect(server.err()).toMatch(/"level":"warn","msg":"shutdown forced: SIGINT during the drain/);
    expect(await call).toMatch(/^failed/);
    await until("the worker gone", () => !workers.some(alive), { timeoutMs: 8000 });
  }, 30_000);

  it("a SIGINT right after the first (the same Ctrl-C forwarded by a wrapper) does not force", async () => {
    const { server, call } = await withRunningScript();
    process.kill(-server.proc.pid!, "SIGINT");
    // Sent at once, the two would merge into one pending signal.
    await until("the shutdown", () => server.err().includes('"shutdown requested"'));
    process.kill(server.proc.pid!, "SIGINT");
    expect(await call).toBe("ok 7");
    expect(await server.exited).toBe(0);
    expect(server.err()).toMatch(/"msg":"shutdown already in progress","service":"scriptengine","signal":"SIGINT"/);
  }, 30_000);
});
