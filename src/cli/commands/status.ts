// health (the standard grpc.health.v1 Check when the server wants a token and none is given), metrics [--watch].
import { toJson } from "@bufbuild/protobuf";
import type { Command } from "commander";
import { HealthStatusSchema, PerformanceMetricsSchema, ServiceStatus, ServingStatus, TimeoutError, UnauthenticatedError, UnavailableError, toScriptEngineError, type PerformanceMetrics } from "../../../clients/ts/src/index.ts";
import { action, interrupted, optionsOf, withClient } from "../action.ts";
import { resolveConnection } from "../connection.ts";
import { CliError, EXIT, describeError } from "../exit.ts";
import { durationMs } from "../input.ts";
import { outageWindowMs } from "../outage.ts";
import { count, enumName, err, fmtBytes, fmtDuration, fmtTime, json, out, pairs, table } from "../output.ts";

/**
 * How long a `metrics --watch` poll waits for its answer. A server that stops answering (frozen, or
 * a host gone without a reset) ended the view after the one-shot deadline (15 s) with exit 6 and
 * grpc-js's own text; it is now waited out like an outage, and said so sooner.
 */
export const WATCH_POLL_TIMEOUT_MS = 5_000;

/** The line for a poll the view waits out (an outage, or no answer), or undefined for any other failure. */
function pollFailure(e: unknown, address: string): string | undefined {
  if (e instanceof UnavailableError) return describeError(e, address).line.replace(/\.$/, ""); // grpc-js's empty "Resolution note:" left out
  if (e instanceof TimeoutError) return `DEADLINE_EXCEEDED: no answer from ${address} within ${WATCH_POLL_TIMEOUT_MS / 1000} s`;
  return undefined;
}

/** The human view of `metrics` and of each `metrics --watch` refresh. */
export function metricsView(m: PerformanceMetrics): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return pairs([
    // Refusals are no executions (nor in the success rate): said beside them, when there are any.
    // With no executions the rate is 0 on the wire: "-", not a 0 % success.
    ["executions", `${m.totalExecutions} (${m.successfulExecutions} ok, ${m.failedExecutions} failed, success ${m.totalExecutions > 0n ? pct(m.successRate) : "-"})${m.rejectedExecutions > 0n ? ` · ${m.rejectedExecutions} refused` : ""}`],
    ["latency", `p50 ${fmtDuration(m.latencyP50)} · p95 ${fmtDuration(m.latencyP95)} · p99 ${fmtDuration(m.latencyP99)} · avg ${fmtDuration(m.averageExecutionTime)}`],
    // Parked executions hold isolates without running: more of those than workers is no overload.
    // No workers only while the engine is stopped (Stop; Start spawns them again).
    ["pool", m.poolSize === 0n ? "the engine is stopped (0 workers)" : `${count(m.poolSize, "worker")} · ${count(m.busyIsolates, "isolate")} in use (running or parked) · queue ${m.queueLength} · active ${m.activeConnections}`],
    // Shown only when there are compilations, or were refused ones (since the start, as executions'
    // refusals): most of the time there are none.
    ...(m.compileQueueLength + m.abandonedCompilations + m.rejectedCompilations > 0n
      ? [["compiling", `${count(m.compileQueueLength, "compilation")} waited for · ${m.abandonedCompilations} abandoned · ${m.rejectedCompilations} refused`] as [string, string]]
      : []),
    ["cache", `${count(m.cacheSize, "script")} · ${count(m.cacheHits, "hit")} / ${count(m.cacheMisses, "miss", "misses")} (${pct(m.cacheHitRate)}) · ${count(m.totalCompilations, "compilation")}`],
    ["recycling", `${count(m.isolateRecycles, "isolate recycle")} · ${count(m.workerRestarts, "worker restart")}`],
    // A subscriber that falls behind loses events (or, under on_lag = "disconnect", its stream).
    ["events", `${count(m.eventSubscribers, "subscriber")} · ${m.laggedEvents} missed by lagging subscribers · ${count(m.lagDisconnects, "lag disconnect")}`],
    ["store", `${fmtBytes(m.storedScriptBytes)} of scripts stored`],
    ["process", `${fmtBytes(m.memoryUsage)} memory · ${m.cpuUsage.toFixed(1)}% cpu · up ${fmtDuration(m.uptime)}`],
    ["at", fmtTime(m.timestamp)],
  ]);
}

export function statusCommands(program: Command): void {
  program
    .command("health")
    .description("the engine's health; exit 0 when HEALTHY or DEGRADED, 3 otherwise (without a token, on a server with tokens: the public grpc.health status, with --json just {\"status\": \"SERVING\"} or another grpc.health.v1 status)")
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const o = optionsOf(cmd);
        const anonymous = !resolveConnection(o).token;
        const h = await withClient(o, async (c) => {
          try {
            return await c.health();
          } catch (e) {
            // HealthCheck needs a principal; the standard health service is public, so a probe
            // without a token still learns whether the server serves.
            if (!anonymous || !(toScriptEngineError(e) instanceof UnauthenticatedError)) throw e;
            return c.standardHealth();
          }
        });
        if (typeof h === "number") {
          if (o.json) out(json({ status: ServingStatus[h] }));
          else out(pairs([["status", `${ServingStatus[h]} (grpc.health.v1: a token shows the engine's health and components)`]]));
          return h === ServingStatus.SERVING ? EXIT.OK : EXIT.UNAVAILABLE;
        }
        if (o.json) out(json(toJson(HealthStatusSchema, h)));
        else {
          out(
            pairs([
              ["status", `${enumName(ServiceStatus, h.status)}${h.message ? ` (${h.message})` : ""}`],
              ["service", `${h.serviceId} ${h.version}`],
              ["uptime", fmtDuration(h.uptime)],
            ]),
          );
          if (h.components.length > 0) {
            out("");
            out(table(["COMPONENT", "STATUS", "MESSAGE"], h.components.map((c) => [c.name, enumName(ServiceStatus, c.status), c.message])));
          }
        }
        return h.status === ServiceStatus.HEALTHY || h.status === ServiceStatus.DEGRADED ? EXIT.OK : EXIT.UNAVAILABLE;
      }),
    );

  program
    .command("metrics")
    .description("performance figures; --watch refreshes until Ctrl-C")
    .option("-w, --watch [interval]", "refresh every interval (default 2s)")
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const o = optionsOf<{ watch?: string | boolean }>(cmd);
        const every = typeof o.watch === "string" ? durationMs(o.watch, "--watch") : 2000;
        // Polled again through an outage as long as `events` reconnects (outage.ts).
        const retryMs = o.watch ? outageWindowMs() : 0;
        const address = resolveConnection(o).address;
        const stop = o.watch ? interrupted() : undefined;
        try {
          await withClient(o, async (c) => {
            let failingSince: number | undefined;
            for (;;) {
              let m: PerformanceMetrics;
              try {
                m = (await c.scripts.getMetrics({}, { signal: stop?.signal, timeoutMs: stop ? WATCH_POLL_TIMEOUT_MS : undefined })).metrics!;
                failingSince = undefined;
              } catch (e) {
                // A restart, a blip or a stall is waited out for a while, not the end of the view.
                const failure = stop && !stop.signal.aborted ? pollFailure(e, address) : undefined;
                if (!stop || failure === undefined) throw e;
                if (failingSince === undefined) {
                  failingSince = Date.now();
                  err(`scriptengine: ${failure}; retrying`);
                } else if (Date.now() - failingSince >= retryMs) {
                  // Not serving, as for an outage (exit 3), not a limit of the command's (6).
                  throw e instanceof TimeoutError ? new CliError(failure, EXIT.UNAVAILABLE) : e;
                }
                await pause(Math.min(every, 1000), stop.signal);
                if (stop.signal.aborted) return;
                continue;
              }
              if (o.json) out(json(toJson(PerformanceMetricsSchema, m), !o.watch));
              else {
                if (o.watch && process.stdout.isTTY) process.stdout.write("\x1b[2J\x1b[H");
                else if (o.watch) out("");
                out(metricsView(m));
              }
              if (!stop) return;
              await pause(every, stop.signal);
              if (stop.signal.aborted) return;
            }
          }).catch((e: unknown) => {
            if (!stop?.signal.aborted) throw e;
          });
        } finally {
          stop?.dispose();
        }
      }),
    );
}

/** Waits `ms`, or until the signal fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
  });
}
