// events [--type T ...] [--after SEQ]: a live tail until Ctrl-C (resumes after a dropped connection).
import { toJson } from "@bufbuild/protobuf";
import type { Command } from "commander";
import {
  EventsLostSchema,
  LossReason,
  MigrationState,
  ScriptEngineClient,
  ServiceEventSchema,
  ServiceStatus,
  toScriptEngineError,
  type EventsLost,
  type MigrationCompleted,
  type ServiceEvent,
} from "../../../clients/ts/src/index.ts";
import { action, interrupted, optionsOf, withClient } from "../action.ts";
import { OutageClock, outageWindowMs, reportingStreamFailures } from "../outage.ts";
import { unsignedArg } from "../input.ts";
import { enumName, err, fmtDuration, fmtTime, json, out, printable } from "../output.ts";

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());

/**
 * A rollback's MigrationCompleted carries the migration ROLLED_BACK, or, refused, still COMPLETED
 * with success false, as does an auto_fix fill refused (metadata failed_change says which).
 */
function migrationOutcome(c: MigrationCompleted): string {
  const status = c.result?.status;
  if (status === MigrationState.ROLLED_BACK) return "rolled back";
  if (status === MigrationState.COMPLETED && !c.success) {
    const change = c.result?.metadata.failed_change?.kind;
    return `${change?.case === "stringValue" ? change.value : "rollback"} failed`;
  }
  return c.success ? "ok" : "failed";
}

export function summary(e: ServiceEvent): string {
  const ev = e.event;
  switch (ev.case) {
    case "scriptCompiled":
      return `${ev.value.scriptId} ${ev.value.success ? "ok" : `failed: ${ev.value.error ?? ""}`} ${fmtDuration(ev.value.duration)}`;
    case "scriptExecuted":
      return `${ev.value.scriptId} ${ev.value.success ? "ok" : "failed"} ${fmtDuration(ev.value.duration)} execution ${ev.value.executionId}`;
    case "healthStatusChanged":
      return `${ev.value.serviceId} ${enumName(ServiceStatus, ev.value.status)}`;
    case "migrationStarted":
      return `${ev.value.toolName} migration ${ev.value.migrationId}`;
    case "migrationCompleted":
      return `${ev.value.toolName} ${migrationOutcome(ev.value)} migration ${ev.value.migrationId}`;
    case "serviceRegistered":
      return `${ev.value.serviceId} (${ev.value.serviceType})`;
    case "serviceUnregistered":
      return `${ev.value.serviceId} ${ev.value.reason}`;
    case "securityViolation":
      return `${ev.value.kind} by ${ev.value.principal}${ev.value.peer ? ` from ${ev.value.peer}` : ""}${ev.value.scriptId ? ` in ${ev.value.scriptId}` : ""}: ${ev.value.detail}`;
    default:
      return "";
  }
}

/**
 * The human line for a loss notice, or nothing when nothing was missed (a resume after a clean
 * restart). A range of 0..0 is unknown and left out; after a restart the count is an upper bound.
 * `unknown`: the stream resumed after a sequence beyond the server's latest, which the server also
 * reports as RESTART (it takes the number as from a reset store) though no restart need have happened.
 */
export function lostNotice(lost: EventsLost, unknown?: { after: bigint; latest: bigint }): string | undefined {
  const n = lost.missedCount;
  if (n === 0n) return undefined;
  const range = lost.firstMissedSequence === 0n && lost.lastMissedSequence === 0n ? "" : ` (${lost.firstMissedSequence}..${lost.lastMissedSequence})`;
  const events = n === 1n ? "event" : "events";
  switch (lost.reason) {
    case LossReason.RESTART:
      if (unknown) {
        // With no range, the count is the server's floor of 1 (what the old store published after the
        // sequence is unknowable), not a number worth printing.
        const what = range === "" ? "events published after it may have been missed" : `up to ${n} ${events} may have been missed${range}`;
        return `scriptengine: the server does not know sequence ${unknown.after} (its latest is ${unknown.latest}: a reset or replaced store?); ${what}, replaying all it retains`;
      }
      return `scriptengine: up to ${n} ${events} may have been missed across a server restart${range}`;
    case LossReason.LAGGED:
      return `scriptengine: missed ${n} ${events}${range}: this subscriber fell behind`;
    case LossReason.RETENTION:
      return `scriptengine: missed ${n} ${events}${range}: no longer retained by the server`;
    default:
      return `scriptengine: missed ${n} ${events}${range}`;
  }
}

export function eventCommands(program: Command): void {
  program
    .command("events")
    .description("tail events live until Ctrl-C (script_executed, script_compiled, health_status_changed, security_violation, ...)")
    .option("--type <type...>", "only these event types")
    .option("--after <seq>", "replay retained events after this sequence first", (v) => unsignedArg(v, "--after", 0xffff_ffff_ffff_ffffn))
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const o = optionsOf<{ type?: string[]; after?: bigint }>(cmd);
        const windowMs = outageWindowMs();
        const stop = interrupted();
        // An outage ends the view once it has lasted the window (SE_WATCH_RETRY_MS, 10 s), as for
        // `metrics --watch`: the SDK's count of reconnects alone (10, at this client's 100-500 ms
        // backoff) gave up about 3 s after the server went away, which a slow restart outlasts.
        const outage = new AbortController();
        let outageError: unknown;
        const clock = new OutageClock(windowMs, (last) => {
          outageError = last;
          outage.abort();
        });
        try {
          await withClient(o, async (c) => {
            const watched = new ScriptEngineClient(reportingStreamFailures(c.transport, clock), { retry: { maxAttempts: 1, initialBackoffMs: 100, maxBackoffMs: 500 } });
            const events = watched.subscribe({
              eventTypes: o.type ?? [],
              afterSequence: o.after,
              signal: AbortSignal.any([stop.signal, outage.signal]),
              maxReconnects: Number.MAX_SAFE_INTEGER, // the clock decides
              // A RESTART notice on a stream that asked for more than its latest is about an unknown
              // sequence: the one the SDK asked for, which after a shutdown's resume point may be
              // later than the last event shown. --json: the notice goes in the NDJSON stream, where
              // a machine reading it sees it.
              onLost: (lost, stream) => {
                const { afterSequence: after, latestSequence: latest } = stream;
                const unknown = after !== undefined && after > latest ? { after, latest } : undefined;
                if (lost.missedCount === 0n) return;
                if (o.json) out(json({ lost: toJson(EventsLostSchema, lost) }, false));
                else err(lostNotice(lost, unknown)!);
              },
              onStarted: (s) => {
                clock.up();
                if (!o.json) err(`subscribed ${s.subscriptionId} (retained ${s.oldestSequence}..${s.latestSequence}); Ctrl-C to stop`);
              },
            });
            for await (const e of events) {
              if (o.json) out(json(toJson(ServiceEventSchema, e), false));
              else out(`${String(e.sequence).padStart(6)}  ${fmtTime(e.timestamp)}  ${snake(e.event.case ?? "unknown").padEnd(22)}  ${printable(summary(e))}`);
            }
          });
        } catch (e) {
          if (!stop.signal.aborted && !outage.signal.aborted) throw e;
        } finally {
          clock.up();
          stop.dispose();
        }
        if (outage.signal.aborted && !stop.signal.aborted) throw toScriptEngineError(outageError);
      }),
    );
}
