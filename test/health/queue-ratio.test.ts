// health_check.degraded_queue_ratio is the fill "above which" the queue is DEGRADED (the proto's
// word): with 0, an idle server stays HEALTHY and any queued execution makes it DEGRADED; a full
// queue is DEGRADED whatever the ratio.
import { describe, expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import type { EngineStats } from "../../src/engine/index.ts";
import { components, statusMessage } from "../../src/health/monitor.ts";
import { engineStats } from "../helpers/engine-stats.ts";

const stats = (queueLength: number, over: Partial<EngineStats> = {}): EngineStats => engineStats({ poolSize: 4, workers: 4, queueLength, ...over });

const queueStatus = (ratio: string, queued: number) => {
  const { config } = loadConfig({ env: {}, argv: ["--set", `health_check.degraded_queue_ratio=${ratio}`, "--set", "pool.max_queue=256"] });
  return components(stats(queued), config, 0, undefined).find((c) => c.name === "queue")!.status;
};

describe("degraded_queue_ratio", () => {
  it("0: an empty queue is HEALTHY, one queued execution is DEGRADED", () => {
    expect(queueStatus("0", 0)).toBe(ServiceStatus.HEALTHY);
    expect(queueStatus("0", 1)).toBe(ServiceStatus.DEGRADED);
  });

  it("DEGRADED only above the ratio, not at it", () => {
    expect(queueStatus("0.5", 128)).toBe(ServiceStatus.HEALTHY);
    expect(queueStatus("0.5", 129)).toBe(ServiceStatus.DEGRADED);
    expect(queueStatus("1", 255)).toBe(ServiceStatus.HEALTHY);
  });

  it("a full queue (QUEUE_FULL refusals) is DEGRADED whatever the ratio, 1 included", () => {
    expect(queueStatus("1", 256)).toBe(ServiceStatus.DEGRADED);
    expect(queueStatus("0.99", 256)).toBe(ServiceStatus.DEGRADED);
  });
});

describe("the status message", () => {
  const { config } = loadConfig({ env: {}, argv: ["--set", "pool.max_queue=2"] });
  it("names every component at the worst status: a full queue behind a busy pool is told", () => {
    const parts = components(stats(2, { poolSize: 1, busyIsolates: 1, workers: 1 }), config, 0, undefined);
    expect(statusMessage(parts)).toBe("pool: 1/1 isolates busy, 1 worker; queue: 2/2 queued");
    expect(statusMessage(components(stats(0), config, 0, undefined))).toBe("serving");
    expect(statusMessage(components(stats(0, { recentWorkerFailures: 1, workerRestarts: 1 }), config, 0, undefined))).toBe("workers: 1 worker failure recently, 1 restart in all");
  });
});
