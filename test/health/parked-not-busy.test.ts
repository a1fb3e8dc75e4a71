// Executions parked on a tool or a timer hold an isolate each but no thread: the worker runs others
// meanwhile. Health counted them as busy isolates: eight parked scripts on two workers read "8/2
// isolates busy" and a saturated pool, DEGRADED as soon as anything queued behind running work
// that was not there.
import { expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import { components } from "../../src/health/monitor.ts";
import { engineStats } from "../helpers/engine-stats.ts";

// Ratio 0: a saturated pool is DEGRADED as soon as anything queues behind it (over the ratio).
const config = loadConfig({ env: {}, argv: ["--set", "pool.max_queue=4", "--set", "health_check.degraded_queue_ratio=0"] }).config;
const pool = (busy: number, parked: number, queued: number, poolFull = false) =>
  components(engineStats({ poolSize: 2, workers: 2, busyIsolates: busy, parkedExecutions: parked, queueLength: queued, active: busy, poolFull }), config, 0, undefined).find((c) => c.name === "pool")!;

it("parked executions are told apart and do not saturate the pool", () => {
  const p = pool(8, 8, 1);
  expect(p.message).toBe("0/2 isolates busy (and 8 parked), 2 workers");
  expect(p.status).toBe(ServiceStatus.HEALTHY);
});

it("running ones still do", () => {
  const p = pool(3, 1, 1);
  expect(p.message).toBe("2/2 isolates busy (and 1 parked), 2 workers");
  expect(p.status).toBe(ServiceStatus.DEGRADED);
});

it("parked ones that fill every worker (max_parked, their memory) saturate it all the same", () => {
  const p = pool(18, 18, 1, true);
  expect(p.message).toBe("0/2 isolates busy (and 18 parked), 2 workers");
  expect(p.status).toBe(ServiceStatus.DEGRADED);
});
