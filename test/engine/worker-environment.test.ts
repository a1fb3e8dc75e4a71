// Workers never get the host's environment, only what they need; Node's compile cache directory,
// where the server has one, is passed on so a replaced worker starts in less than half the CPU time.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startServer } from "../helpers/server.ts";
import { childPids } from "../helpers/procs.ts";

function environOf(pid: number): Map<string, string> {
  const vars = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return new Map(vars.map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)]));
}

async function workerEnvironment(env: Record<string, string>): Promise<Map<string, string>> {
  const server = await startServer({ toml: `[pool]\nworkers = 1\n`, env });
  try {
    const workers = childPids(server.proc.pid!);
    expect(workers.length).toBe(1);
    return environOf(workers[0]!);
  } finally {
    await server.stop();
  }
}

it("a worker gets the server's NODE_COMPILE_CACHE, and none of the server's other variables", async () => {
  const cache = mkdtempSync(join(tmpdir(), "se-compile-cache-"));
  const env = await workerEnvironment({ NODE_COMPILE_CACHE: cache, SE_TEST_HOST_SECRET: "not for workers" });
  expect(env.get("NODE_COMPILE_CACHE")).toBe(cache);
  expect(env.has("SE_TEST_HOST_SECRET")).toBe(false);
  expect(env.get("SE_WORKER_ID")).toBeTruthy();
}, 30_000);

it("without one (empty or unset), a worker has none", async () => {
  const env = await workerEnvironment({ NODE_COMPILE_CACHE: "" });
  expect(env.has("NODE_COMPILE_CACHE")).toBe(false);
}, 30_000);
