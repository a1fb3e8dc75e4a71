// pool.max_queue = 0: nothing ever waits, so a saturated pool refuses every execution QUEUE_FULL.
// The README's "a full queue always is [DEGRADED]" holds then too, though nothing is queued.
import { describe, expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import type { EngineStats } from "../../src/engine/index.ts";
import { components, overall, statusMessage } from "../../src/health/monitor.ts";
import { engineStats } from "../helpers/engine-stats.ts";

const stats = (busyIsolates: number, queueLength = 0): EngineStats => engineStats({ busyIsolates, queueLength });

const configWith = (maxQueue: number) => loadConfig({ env: {}, argv: ["--set", `pool.max_queue=${maxQueue}`] }).config;

describe("max_queue = 0", () => {
  it("a saturated pool (every execution refused) is DEGRADED, and says why", () => {
    const parts = components(stats(1), configWith(0), 0, undefined);
    expect(overall(parts).status).toBe(ServiceStatus.DEGRADED);
    expect(parts.find((c) => c.name === "queue")!.status).toBe(ServiceStatus.DEGRADED);
    expect(statusMessage(parts)).toBe("pool: 1/1 isolates busy, 1 worker; queue: 0/0 queued");
  });

  it("a pool with a free isolate is HEALTHY", () => {
    expect(overall(components(stats(0), configWith(0), 0, undefined)).status).toBe(ServiceStatus.HEALTHY);
  });

  it("with room in a queue, a saturated pool with nothing queued stays HEALTHY", () => {
    expect(overall(components(stats(1), configWith(2), 0, undefined)).status).toBe(ServiceStatus.HEALTHY);
  });
});
