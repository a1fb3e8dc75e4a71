// ScriptService: lifecycle, health, metrics and configuration. Script compilation and
// execution are provided by the engine (src/engine) and plugged in through `scripts`.
import { create } from "@bufbuild/protobuf";
import { timestampNow, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { HealthStatusSchema, PerformanceMetricsSchema, type PerformanceMetrics } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { requirePermission } from "../auth/principal.ts";
import { clipCodePoints } from "../code-points.ts";
import type { Config } from "../config/types.ts";
import { abortedWith, messageOf, serviceError, shuttingDownError } from "../errors.ts";
import { duringStatus, overall, readStatus, statusMessage } from "../health/monitor.ts";
import type { HealthState } from "../health/state.ts";
import type { Logger } from "../log.ts";
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
  /** The gRPC door's address, advertised when discovery.advertise_endpoint is empty. */
  grpcAddress?: () => string;
  startedAt: number;
  metrics: MetricsContributor[];
  /** CPU the engine's worker processes have used so far, in ms (for cpu_usage). */
  workersCpuMs?: () => number;
  /** Named components and their health, for HealthCheck. */
  components: () => { name: string; status: ServiceStatus; message: string }[];
  /** The engine's RPCs (ExecuteScript, CompileScript, RunScript, GetScript, ListScripts, DeleteScript). */
  scripts?: Partial<ServiceImpl<typeof ScriptService>>;
  /** Starts the engine's workers again (Start, from STOPPED). */
  onStart: () => Promise<void>;
  /** Stops the engine (Stop): refuses what is queued, lets what runs finish (bounded), stops the workers. */
  onStop: () => Promise<void>;
  /** True once the server's shutdown has begun: from then on only the shutdown moves the status. */
  isClosing: () => boolean;
  /** Says who started or stopped the engine (the events carry the reason, not the principal). */
  log: Logger;
}

/**
 * A Stop reason is the caller's text: it is kept to this many characters (code points) in the
 * status and its event, a longer one cut saying so.
 */
const MAX_REASON_CHARS = 512;

/** UNAVAILABLE ENGINE_STOPPED, saying what the engine is doing instead (starting, stopping, ...). */
const notServing = (health: HealthState) =>
  serviceError("ENGINE_STOPPED", `the engine is ${ServiceStatus[health.status].toLowerCase()}: ${health.message}`, { retryAfterMs: 1000 });

/** Work RPCs refuse with UNAVAILABLE while the engine is not serving. */
export function requireServing(health: HealthState): void {
  if (!health.accepting) throw notServing(health);
}

export function scriptService(deps: ScriptServiceDeps): Partial<ServiceImpl<typeof ScriptService>> {
  const { health } = deps;
  const closing = deps.isClosing;
  const healthStatus = () => {
    const components = duringStatus(health.status, deps.components());
    const { status, message } = readStatus(health, components);
    return create(HealthStatusSchema, {
      status,
      serviceId: deps.serviceId,
      version: VERSION,
      timestamp: timestampNow(),
      uptime: durationOf(Date.now() - deps.startedAt),
      components,
      message,
    });
  };

  // One Start or Stop at a time, in arrival order: a Start sent while a Stop drains the engine waits
  // for it to end, then starts the engine again (and a Stop during a Start waits, then stops it).
  // A caller that left while waiting (cancelled, or its deadline passed) was told nothing happened:
  // its step does not run when its turn comes. A Stop already draining goes on.
  let transition: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(signal: AbortSignal, step: () => Promise<T>): Promise<T> => {
    const run = transition.then(() => {
      if (signal.aborted) throw abortedWith(signal);
      return step();
    });
    transition = run.catch(() => undefined);
    return run;
  };

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
    getConfig: () => ({ config: configMessage(deps.config, { serviceId: deps.serviceId, endpoint: deps.grpcAddress?.() ?? "" }) }),
    start: async (_req, ctx) => {
      const principal = requirePermission(ctx, "admin");
      await inTurn(ctx.signal, async () => {
        // A running engine, even an UNHEALTHY one, is left as it is: only the monitor's signals
        // (not a Start) can say it recovered.
        if (health.accepting) return;
        // The server is shutting down (even if a Stop had the engine STOPPED before): the status
        // is the shutdown's, no STARTING in the middle of it.
        if (closing()) throw shuttingDownError();
        // STARTING or STOPPING not of a Stop's making: the server is starting up or shutting down
        // (UNAVAILABLE ENGINE_STOPPED, saying which).
        const status = health.status; // (not narrowing health.status: the steps below change it)
        if (status !== ServiceStatus.STOPPED) throw notServing(health);
        deps.log.info("engine start requested", { principal: principal.name });
        health.set(ServiceStatus.STARTING, "starting on request");
        try {
          await deps.onStart();
        } catch (err) {
          deps.log.warn("engine start failed", { principal: principal.name, error: messageOf(err) });
          if (!closing()) health.set(ServiceStatus.STOPPED, `start failed: ${messageOf(err)}`);
          throw err;
        }
        // The shutdown began while the workers spawned: the status is its own (STOPPING, then
        // STOPPED), and the engine is not serving.
        if (closing() || health.status !== ServiceStatus.STARTING) {
          deps.log.info("engine start overtaken by shutdown", { principal: principal.name });
          throw shuttingDownError();
        }
        const parts = deps.components();
        const worst = overall(parts);
        health.set(worst.status, statusMessage(parts, "started on request"));
        deps.log.info("engine started on request", { principal: principal.name, status: ServiceStatus[worst.status] });
      });
      return { health: healthStatus() };
    },
    stop: async (req, ctx) => {
      const principal = requirePermission(ctx, "admin");
      await inTurn(ctx.signal, async () => {
        // Already stopped, or the server is starting up or shutting down (which stops the engine itself).
        if (!health.accepting) return;
        const reason = clipCodePoints(req.reason, MAX_REASON_CHARS) || "stopped on request";
        deps.log.info("engine stopped on request", { principal: principal.name, reason });
        // New work is refused from here; STOPPED once nothing runs any more.
        health.set(ServiceStatus.STOPPING, reason);
        try {
          await deps.onStop();
        } catch (err) {
          // Draining or closing the engine failed: it may still hold workers, so STOPPED would be
          // untrue. Once the shutdown has begun, the status is its own.
          deps.log.error("engine stop failed", { principal: principal.name, error: messageOf(err) });
          if (!closing()) health.set(ServiceStatus.UNHEALTHY, `stop failed: ${messageOf(err)}`);
          throw err;
        }
        // Once the shutdown has begun, it ends in its own STOPPED; the answer says STOPPING.
        if (!closing()) health.set(ServiceStatus.STOPPED, reason);
      });
      return { health: healthStatus() };
    },
  };
}
