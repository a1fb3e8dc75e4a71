// health_check.degraded_queue_ratio holds for the pool too: a saturated pool made the engine DEGRADED
// at the first queued execution (a queue forms only behind a saturated pool), whatever the ratio.
// And a HealthCheck answers what it reads but publishes a move between HEALTHY and DEGRADED only at
// the monitor's tick: a poller made a HealthStatusChanged event and a log line of every momentary queue.
// While a Stop drains the engine the pool said HEALTHY.
import { describe, expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import { components, duringStatus, followComponents, overall, readStatus } from "../../src/health/monitor.ts";
import { HealthState } from "../../src/health/state.ts";
import { engineStats } from "../helpers/engine-stats.ts";

const config = (ratio = "0.8") => loadConfig({ env: {}, argv: ["--set", `health_check.degraded_queue_ratio=${ratio}`, "--set", "pool.max_queue=10"] }).config;
/** One worker, busy, with `queued` executions waiting. */
const busy = (queued: number) => engineStats({ poolSize: 1, workers: 1, busyIsolates: 1, queueLength: queued });
const parts = (queued: number, ratio?: string) => components(busy(queued), config(ratio), 0, undefined);

describe("a saturated pool with a queue", () => {
  it("under the ratio is HEALTHY", () => {
    expect(overall(parts(1, "0.9")).status).toBe(ServiceStatus.HEALTHY);
    expect(overall(parts(8)).status).toBe(ServiceStatus.HEALTHY);
  });

  it("over the ratio, or full, is DEGRADED (pool and queue)", () => {
    for (const p of [parts(9), parts(10, "1"), parts(1, "0")]) {
      expect(p.filter((c) => c.status === ServiceStatus.DEGRADED).map((c) => c.name)).toEqual(["pool", "queue"]);
    }
  });
});

function heard(health: HealthState) {
  const changes: string[] = [];
  health.onChange((s) => changes.push(ServiceStatus[s]));
  return changes;
}

describe("a HealthCheck read", () => {
  it("answers DEGRADED as its components say, but leaves publishing it to the monitor's tick", () => {
    const health = new HealthState();
    health.set(ServiceStatus.HEALTHY, "serving");
    const changes = heard(health);
    const degraded = parts(10);
    expect(readStatus(health, degraded)).toEqual({ status: ServiceStatus.DEGRADED, message: "pool: 1/1 isolates busy, 1 worker; queue: 10/10 queued" });
    expect(readStatus(health, parts(0)).status).toBe(ServiceStatus.HEALTHY);
    expect(readStatus(health, degraded).status).toBe(ServiceStatus.DEGRADED);
    expect([changes, health.status]).toEqual([[], ServiceStatus.HEALTHY]);
    followComponents(health, degraded); // the tick
    expect(changes).toEqual(["DEGRADED"]);
  });

  it("publishes a move into and out of UNHEALTHY at once (serving or not)", () => {
    const health = new HealthState();
    health.set(ServiceStatus.HEALTHY, "serving");
    const changes = heard(health);
    const failing = components(engineStats({ recentWorkerFailures: 5 }), config(), 0, undefined);
    expect(readStatus(health, failing).status).toBe(ServiceStatus.UNHEALTHY);
    expect(readStatus(health, parts(10)).status).toBe(ServiceStatus.DEGRADED);
    expect(changes).toEqual(["UNHEALTHY", "DEGRADED"]);
  });

  it("of an engine not running answers its lifecycle status", () => {
    const health = new HealthState();
    health.set(ServiceStatus.STOPPED, "stopped on request");
    expect(readStatus(health, parts(10))).toEqual({ status: ServiceStatus.STOPPED, message: "stopped on request" });
  });
});

describe("while STOPPING", () => {
  it("the pool, still running what it holds, says it is draining", () => {
    const pool = (status: ServiceStatus) => duringStatus(status, parts(0)).find((c) => c.name === "pool")!;
    expect(pool(ServiceStatus.STOPPING)).toEqual({ name: "pool", status: ServiceStatus.STOPPING, message: "draining: 1/1 isolates busy, 1 worker" });
    expect(pool(ServiceStatus.HEALTHY).status).toBe(ServiceStatus.HEALTHY);
  });
});
