// New sources wait for a compiler in the workers, bounded by pool.max_queue: full, every RunScript and
// CompileScript of a new source is refused QUEUE_FULL (compile_queue). Health says so (DEGRADED), as
// it does for a full execution queue, instead of HEALTHY "serving" with nothing queued.
import { expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import type { EngineStats } from "../../src/engine/index.ts";
import { components, overall, statusMessage } from "../../src/health/monitor.ts";
import { engineStats } from "../helpers/engine-stats.ts";

const stats = (compiles: Pick<EngineStats, "compilesInFlight" | "compilesAbandoned" | "compileQueueFull">): EngineStats => engineStats({ active: 1, busyIsolates: 1, ...compiles });

const config = loadConfig({ env: {}, argv: ["--set", "pool.max_queue=4"] }).config;

it("a full compile queue makes the queue DEGRADED and says why", () => {
  const parts = components(stats({ compilesInFlight: 4, compilesAbandoned: 1, compileQueueFull: true }), config, 0, undefined);
  expect(overall(parts).status).toBe(ServiceStatus.DEGRADED);
  expect(statusMessage(parts)).toBe("queue: 0/4 queued, 5 compilations in progress (full: new sources are refused)");
});

it("compilations with room left stay HEALTHY", () => {
  const parts = components(stats({ compilesInFlight: 1, compilesAbandoned: 2, compileQueueFull: false }), config, 0, undefined);
  expect(overall(parts).status).toBe(ServiceStatus.HEALTHY);
  expect(parts.find((c) => c.name === "queue")!.message).toBe("0/4 queued, 3 compilations in progress");
});
