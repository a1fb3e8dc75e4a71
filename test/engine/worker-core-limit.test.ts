// A compilation's out-of-memory aborts its worker (SIGABRT). Where the host lets processes write core
// files, each abort a script provokes would leave one of the worker's size: workers run with none.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { startServer } from "../helpers/server.ts";
import { childPids } from "../helpers/procs.ts";

/** The soft and hard "Max core file size" of a process, as /proc shows them. */
function coreLimits(pid: number): string[] {
  const line = readFileSync(`/proc/${pid}/limits`, "utf8").split("\n").find((l) => l.startsWith("Max core file size"));
  return line!.replace("Max core file size", "").trim().split(/\s+/).slice(0, 2);
}

it("workers may write no core file, though their server may", async () => {
  // The server itself is started allowing core files, as a host might.
  const server = await startServer({ toml: `[pool]\nworkers = 1\n`, launcher: ["/bin/sh", "-c", 'ulimit -S -c 1024 && exec "$0" "$@"'] });
  try {
    expect(Number(coreLimits(server.proc.pid!)[0])).toBeGreaterThan(0);
    const workers = childPids(server.proc.pid!);
    expect(workers.length).toBe(1);
    expect(coreLimits(workers[0]!)).toEqual(["0", "0"]);
  } finally {
    await server.stop();
  }
}, 30_000);
