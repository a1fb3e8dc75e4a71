// Re-evaluates the engine's health from real signals every health_check.interval, and at once when
// a store call notes a fault: pool saturation, queue fill, a script store 90 % full and a full disk
// make it DEGRADED, recent worker failures and a damaged database file (or a data directory removed under the server) UNHEALTHY. It only moves between HEALTHY, DEGRADED and UNHEALTHY; Start/Stop and shutdown own
// the other states.
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { count } from "../count-noun.ts";
import type { Config } from "../config/types.ts";
import type { EngineStats } from "../engine/index.ts";
import type { HealthState } from "./state.ts";
import { onStoreFault, recentStoreFault, storeGone, type StoreFault } from "../store/faults.ts";
import type { ServedCertificate } from "../doors/tls.ts";

export interface Component {
  name: string;
  status: ServiceStatus;
  message: string;
}

/** At this share of store.max_bytes the store reports DEGRADED: compiles will soon be refused. */
export const STORE_DEGRADED_RATIO = 0.9;

const POOL_STATUS = {
  stopped: ServiceStatus.STOPPED,
  starting: ServiceStatus.STARTING,
  stopping: ServiceStatus.STOPPING,
} as const;

export function components(stats: EngineStats, config: Config, storeBytes = 0, fault?: StoreFault, gone = storeGone()): Component[] {
  // Looked at first (storeGone), so that a store found removed just now counts as damaged.
  fault = gone !== undefined ? "damaged" : (fault ?? recentStoreFault());
  const { healthCheck, pool } = config;
  const storeRatio = config.store.maxBytes > 0 ? storeBytes / config.store.maxBytes : 0;
  const queueRatio = pool.maxQueue > 0 ? stats.queueLength / pool.maxQueue : stats.queueLength > 0 ? 1 : 0;
  // Parked executions hold no thread (a worker runs others meanwhile): only those running fill the pool.
  const running = stats.busyIsolates - stats.parkedExecutions;
  // Or parked ones fill it: a worker holds at most max_parked (and their memory within its RSS share).
  const saturated = stats.poolSize > 0 && (running >= stats.poolSize || stats.poolFull);
  // Full, new executions are refused QUEUE_FULL: DEGRADED whatever the ratio (1 included). A queue
  // of max_queue 0 is full, empty, whenever the pool is saturated: it refuses every execution then.
  const queueFull = stats.queueLength >= pool.maxQueue && (stats.queueLength > 0 || saturated);
  // Above health_check.degraded_queue_ratio (the proto's "above": with 0, anything queued). A queue
  // forms only behind a saturated pool: DEGRADED at the first queued execution made the ratio dead,
  // and bursty load flip the status many times a second.
  const queueOver = queueFull || queueRatio > healthCheck.degradedQueueRatio;
  // New sources wait for a compiler in the workers, bounded by max_queue as well: full, RunScript and
  // CompileScript of a new source are refused QUEUE_FULL (compile_queue), which health says too.
  const compiles = stats.compilesInFlight + stats.compilesAbandoned;
  const compileFull = stats.compileQueueFull;
  return [
    stats.state === "running"
      ? {
          name: "pool",
          status: saturated && queueOver ? ServiceStatus.DEGRADED : ServiceStatus.HEALTHY,
          message: `${running}/${stats.poolSize} isolates busy${stats.parkedExecutions > 0 ? ` (and ${stats.parkedExecutions} parked)` : ""}, ${count(stats.workers, "worker")}`,
        }
      : // Stop stops the workers (Start spawns them again): the pool says so, not that it is healthy.
        { name: "pool", status: POOL_STATUS[stats.state], message: `${stats.state}: ${count(stats.workers, "worker")}` },
    {
      name: "queue",
      status: queueOver || compileFull ? ServiceStatus.DEGRADED : ServiceStatus.HEALTHY,
      message:
        `${stats.queueLength}/${pool.maxQueue} queued` +
        (compiles > 0 ? `, ${count(compiles, "compilation")} in progress${compileFull ? " (full: new sources are refused)" : ""}` : ""),
    },
    {
      name: "workers",
      // One failure within failure_window is DEGRADED for that window; unhealthy_failure_count of them UNHEALTHY.
      status:
        stats.recentWorkerFailures >= healthCheck.unhealthyFailureCount
          ? ServiceStatus.UNHEALTHY
          : stats.recentWorkerFailures > 0
            ? ServiceStatus.DEGRADED
            : ServiceStatus.HEALTHY,
      message: `${count(stats.recentWorkerFailures, "worker failure")} recently, ${count(stats.workerRestarts, "restart")} in all`,
    },
    {
      name: "store",
      status: fault === "damaged" ? ServiceStatus.UNHEALTHY : fault === "full" || storeRatio >= STORE_DEGRADED_RATIO ? ServiceStatus.DEGRADED : ServiceStatus.HEALTHY,
      message: (gone !== undefined ? `${gone}; ` : fault === "damaged" ? "the database file is damaged (calls fail DATA_LOSS); " : fault === "full" ? "the disk is full (writes are refused); " : "") +
        (config.store.maxBytes > 0 ? `${storeBytes} of ${config.store.maxBytes} bytes of scripts stored (${Math.floor(storeRatio * 100)} %)` : `${storeBytes} bytes of scripts stored`),
    },
  ];
}

/**
 * The served TLS certificate (none without TLS): once past its end every verifying client refuses
 * the server, which would otherwise go on answering SERVING to probes that skip verification.
 */
export function certificateComponents(served: ServedCertificate | undefined, now = Date.now()): Component[] {
  if (!served) return [];
  const end = served.validTo.toISOString();
  return now > served.validTo.getTime()
    ? [{ name: "certificate", status: ServiceStatus.UNHEALTHY, message: `server.tls_cert_file ${served.path} expired at ${end}: clients refuse it; replace it and restart` }]
    : [{ name: "certificate", status: ServiceStatus.HEALTHY, message: `server.tls_cert_file valid until ${end}` }];
}

/**
 * The worst component status wins. A part that is not running counts as UNHEALTHY: the monitor
 * only moves between HEALTHY, DEGRADED and UNHEALTHY.
 */
const rank = (s: ServiceStatus) => (s === ServiceStatus.HEALTHY ? 0 : s === ServiceStatus.DEGRADED ? 1 : 2);

export function overall(parts: Component[]): Component {
  const worst = parts.reduce((w, c) => (rank(c.status) > rank(w.status) ? c : w), { name: "engine", status: ServiceStatus.HEALTHY, message: "serving" });
  return rank(worst.status) === 2 ? { ...worst, status: ServiceStatus.UNHEALTHY } : worst;
}

/**
 * What a status says of its components: `healthy` when all are, else each one at the worst status
 * ("pool: 1/1 isolates busy, 1 worker; queue: 2/2 queued"), not only the first: the queue, full,
 * is why new executions are refused, and was left out behind the busy pool.
 */
export function statusMessage(parts: Component[], healthy = "serving"): string {
  const worst = rank(overall(parts).status);
  if (worst === 0) return healthy;
  return parts.filter((c) => rank(c.status) === worst).map((c) => `${c.name}: ${c.message}`).join("; ");
}

const running = (s: ServiceStatus) => s === ServiceStatus.HEALTHY || s === ServiceStatus.DEGRADED || s === ServiceStatus.UNHEALTHY;

/** A running engine's status follows its components at each of the monitor's ticks (and store faults). */
export function followComponents(health: HealthState, parts: Component[]): void {
  if (!running(health.status)) return;
  health.set(overall(parts).status, statusMessage(parts));
}

/**
 * What a HealthCheck answers: a running engine's status as the components it read give it, so that
 * the answer agrees with the components told beside it. A move into or out of UNHEALTHY (serving or
 * not, for grpc.health and /health) is taken from the read at once; one between HEALTHY and DEGRADED
 * is left to the monitor's next tick: a client polling HealthCheck through a momentary queue made a
 * HealthStatusChanged event and a log line of every flip it happened to see.
 */
export function readStatus(health: HealthState, parts: Component[]): { status: ServiceStatus; message: string } {
  if (!running(health.status)) return { status: health.status, message: health.message };
  const status = overall(parts).status;
  const message = statusMessage(parts);
  if (status === ServiceStatus.UNHEALTHY || health.status === ServiceStatus.UNHEALTHY) health.set(status, message);
  return { status, message };
}

/**
 * While a Stop (or the shutdown) drains the engine it is STOPPING: its pool runs what it holds and
 * takes nothing new, so the pool says so rather than HEALTHY (it says STOPPING, then STOPPED, once
 * the workers are being stopped).
 */
export function duringStatus(status: ServiceStatus, parts: Component[]): Component[] {
  if (status !== ServiceStatus.STOPPING) return parts;
  return parts.map((c) => (c.name === "pool" && running(c.status) ? { ...c, status: ServiceStatus.STOPPING, message: `draining: ${c.message}` } : c));
}

/** Follows `parts` (every component health is made of) each `intervalMs`, and at once on a store fault. */
export function startHealthMonitor(health: HealthState, parts: () => Component[], intervalMs: number): () => void {
  const tick = () => followComponents(health, parts());
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  // A store call that finds the disk full or the file damaged: at once, not at the next tick (the
  // caller is told before health would say so). After the noting call, not inside it: that may be
  // an event being published, which a health change publishes too.
  const unsubscribe = onStoreFault(() => queueMicrotask(tick));
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}
