// ScriptService: lifecycle, health, metrics and configuration. Script compilation and
// execution are provided by the engine (src/engine) and plugged in through `scripts`.
import { create } from "@bufbuild/protobuf";
import { timestampNow, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { HealthStatusSchema, PerformanceMetricsSchema, type PerformanceMetrics } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { requirePermission } from "../auth/principal.ts";
import type { Config } from "../config/types.ts";
import { serviceError } from "../errors.ts";
import { overall } from "../health/monitor.ts";
import type { HealthState } from "../health/state.ts";
import { configMessage } from "./config-message.ts";
import { CpuMeter, processCpuMs } from "./cpu-meter.ts";
import { durationOf } from "./duration.ts";

export const VERSION = "0.1.0";

/** Live figures from the parts of the server; each part fills what it knows. */
export type MetricsContributor = (metrics: PerformanceMetrics) => void;

export interface ScriptServiceDeps {
  config: Config;
  health: HealthState;
  serviceId: string;
  startedAt: number;
  metrics: MetricsContributor[];
  /** CPU the engine's worker processes have used so far, in ms (for cpu_usage). */
  workersCpuMs?: () => number;
  /** Named components and their health, for HealthCheck. */
  components?: () => { name: string; status: ServiceStatus; message: string }[];
  /** The engine's RPCs (ExecuteScript, CompileScript, RunScript, GetScript, ListScripts, DeleteScript). */
  scripts?: Partial<ServiceImpl<typeof ScriptService>>;
  /** Start/stop hooks of the engine, run by the Start and Stop RPCs. */
  onStart?: () => Promise<void>;
  onStop?: (reason: string) => Promise<void>;
}

/** Work RPCs refuse with UNAVAILABLE while the engine is not serving. */
export function requireServing(health: HealthState): void {
  if (!health.accepting) {
    throw serviceError("ENGINE_STOPPED", `the engine is ${ServiceStatus[health.status].toLowerCase()}: ${health.message}`, {
      retryAfterMs: 1000,
    });
  }
}

export function scriptService(deps: ScriptServiceDeps): Partial<ServiceImpl<typeof ScriptService>> {
  const { health } = deps;
  const healthStatus = () =>
    create(HealthStatusSchema, {
      status: health.status,
      serviceId: deps.serviceId,
      version: VERSION,
      timestamp: timestampNow(),
      uptime: durationOf(Date.now() - deps.startedAt),
      components: deps.components?.() ?? [],
      message: health.message,
    });

  const cpu = new CpuMeter(() => processCpuMs() + (deps.workersCpuMs?.() ?? 0));

  const gated = <K extends keyof ServiceImpl<typeof ScriptService>>(name: K) => {
    const impl = deps.scripts?.[name];
    if (!impl) return undefined;
    return ((req: never, ctx: HandlerContext) => {
      requireServing(health);
      return (impl as (req: never, ctx: HandlerContext) => unknown)(req, ctx);
    }) as unknown as ServiceImpl<typeof ScriptService>[K];
  };

  return {
    executeScript: gated("executeScript"),
    compileScript: gated("compileScript"),
    runScript: gated("runScript"),
    getScript: deps.scripts?.getScript,
    listScripts: deps.scripts?.listScripts,
    deleteScript: deps.scripts?.deleteScript,
    healthCheck: () => ({ health: healthStatus() }),
    getMetrics: () => {
      const metrics = create(PerformanceMetricsSchema, {
        memoryUsage: BigInt(process.memoryUsage().rss),
        cpuUsage: cpu.percent(),
        uptime: durationOf(Date.now() - deps.startedAt),
        timestamp: timestampFromMs(Date.now()),
      });
      for (const contribute of deps.metrics) contribute(metrics);
      return { metrics };
    },
    getConfig: () => ({ config: configMessage(deps.config) }),
    start: async (_req, ctx) => {
      requirePermission(ctx, "admin");
      // A running engine, even an UNHEALTHY one, is left as it is: only the monitor's signals
      // (not a Start) can say it recovered.
      if (!health.accepting) {
        health.set(ServiceStatus.STARTING, "starting on request");
        await deps.onStart?.();
        const worst = overall(deps.components?.() ?? []);
        health.set(worst.status, worst.status === ServiceStatus.HEALTHY ? "started on request" : `${worst.name}: ${worst.message}`);
      }
      return { health: healthStatus() };
    },
    stop: async (req, ctx) => {
      const principal = requirePermission(ctx, "admin");
      if (health.status !== ServiceStatus.STOPPED) {
        const reason = req.reason || `stopped by ${principal.name}`;
        health.set(ServiceStatus.STOPPING, reason);
        await deps.onStop?.(reason);
        health.set(ServiceStatus.STOPPED, reason);
      }
      return { health: healthStatus() };
    },
  };
}
