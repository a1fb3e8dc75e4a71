// A worker failure counts against health for health_check.failure_window. Only the pool's watchdog
// let old ones go, and Stop stops it: a stopped engine went on reporting "2 worker failures
// recently" (UNHEALTHY) long after the window. They are now left out when read.
import { afterEach, expect, it } from "vitest";
import { createEngine, type Engine } from "../../src/engine/index.ts";
import { until } from "../helpers/until.ts";

const WINDOW_MS = 3000;
let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 20_000);

it("a failure older than failure_window is not recent, with the engine stopped", async () => {
  engine = createEngine({ workers: 1, failureWindowMs: WINDOW_MS });
  await engine.start();
  const e = engine;
  const pid = await until("the worker has a pid", () => e.workers()[0]?.pid);
  process.kill(pid, "SIGKILL");
  await until("the worker's death is counted", () => e.stats().recentWorkerFailures === 1);
  await e.close();
  await new Promise((r) => setTimeout(r, WINDOW_MS + 100));
  expect(e.stats()).toMatchObject({ state: "stopped", recentWorkerFailures: 0 });
}, 30_000);
