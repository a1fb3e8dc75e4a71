// A server killed outright (SIGKILL: no shutdown) must not leave a worker running guest code: the
// worker's own thread is held by the script, so it would only notice the lost parent when the
// script's time limit ended it (minutes, at Development level).
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { alive, childPids } from "../helpers/procs.ts";
import { untilMetrics } from "../helpers/until.ts";
import { durationFromMs } from "@bufbuild/protobuf/wkt";

it("a worker running a long script ends within seconds of its server being killed", async () => {
  const server = await startServer({ toml: `[pool]\nworkers = 1\n[resource_limits]\nmax_execution_time = "120s"\n` });
  const workers = childPids(server.proc.pid!);
  expect(workers.length).toBe(1);
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const running = scripts
    .runScript({ source: "for (;;) {}", context: { timeout: durationFromMs(100_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } })
    .catch(() => undefined);
  // The script holds the worker's thread (a fixed 1 s assumed it; a slow machine had not started it, and
  // an idle worker ends at once by its lost IPC channel, proving nothing).
  await untilMetrics(scripts, "the script runs on the worker", (m) => m.busyIsolates === 1n);
  server.proc.kill("SIGKILL");
  const killed = Date.now();
  while (workers.some(alive) && Date.now() - killed < 8000) await new Promise((r) => setTimeout(r, 100));
  expect(workers.filter(alive)).toEqual([]);
  await running;
}, 30_000);
