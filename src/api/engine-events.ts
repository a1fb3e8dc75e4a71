// The events the engine's RPCs cause: ScriptCompiled, ScriptExecuted and SecurityViolation.
// Their free text (a compile error quotes the source) is clipped where every server event is: bus.publish.
import { create } from "@bufbuild/protobuf";
import type { Logger } from "../log.ts";
import { throttledWarn } from "../log-throttle.ts";

import { ScriptCompiledSchema, ScriptExecutedSchema, SecurityViolationSchema, ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import type { Level } from "../config/types.ts";
import { ResourceUsageSchema, type ResourceUsage } from "../../gen/ts/scriptengine/v1/common_pb.js";
import type { ExecutionOutcome } from "../engine/index.ts";
import { LEVEL_TO_PROTO } from "./config-message.ts";
import { durationOf } from "./duration.ts";

/** The engine's measured usage as the contract's ResourceUsage. */
export function usageMessage(u: ExecutionOutcome["usage"]): ResourceUsage {
  return create(ResourceUsageSchema, {
    memoryBytes: BigInt(Math.round(u.memoryBytes)),
    cpuPercentage: u.cpuPercentage,
    operationsCount: BigInt(u.operationsCount),
    networkIoBytes: BigInt(u.networkIoBytes),
    fileIoBytes: BigInt(u.fileIoBytes),
  });
}

export interface EngineEvents {
  compiled(scriptId: string, success: boolean, ms: number, error?: string): void;
  executed(scriptId: string, outcome: ExecutionOutcome, usage: ResourceUsage): void;
  /** `clamped`: a request run with less than it asked for (auth.on_excess = "clamp"), where deny mode refuses it. */
  /** `count`: how many violations the event stands for (an execution's refused tool calls; default 1). */
  violation(kind: "permission_denied" | "limit_exceeded" | "escape_attempt" | "clamped", principal: string, scriptId: string, executionId: string, detail: string, level: Level, peer?: string, count?: number): void;
  /** A call refused for missing or invalid credentials, from `peer` ("address:port"); announced coalesced (see unauthenticatedEvents). */
  unauthenticated(method: string, reason: string, level: Level, peer?: string): void;
}

export interface EngineEventsOptions {
  log?: Logger;
  /** The least time between two "unauthenticated" events (default 1 s). */
  unauthenticatedWindowMs?: number;
}

export function engineEvents(publish: (event: ServiceEvent) => void, options: EngineEventsOptions = {}): EngineEvents {
  const emit = (event: ServiceEvent["event"]) => publish(create(ServiceEventSchema, { event }));
  const violation = (kind: string, principal: string, scriptId: string, executionId: string, detail: string, level: Level, count: number, peer = "") =>
    emit({
      case: "securityViolation",
      value: create(SecurityViolationSchema, { kind, principal, scriptId, executionId, detail, securityLevel: LEVEL_TO_PROTO[level], count, peer }),
    });
  const unauthenticated = unauthenticatedEvents(
    (detail, level, count, peer) => violation("unauthenticated", "", "", "", detail, level, count, peer),
    options.unauthenticatedWindowMs ?? 1000,
    options.log,
  );
  return {
    compiled: (scriptId, success, ms, error) =>
      emit({ case: "scriptCompiled", value: create(ScriptCompiledSchema, { scriptId, success, duration: durationOf(ms), error }) }),
    executed: (scriptId, o, usage) =>
      emit({
        case: "scriptExecuted",
        value: create(ScriptExecutedSchema, {
          scriptId,
          executionId: o.executionId,
          success: o.success,
          duration: durationOf(o.executionTimeMs),
          resourceUsage: usage,
        }),
      }),
    violation: (kind, principal, scriptId, executionId, detail, level, peer, count = 1) => violation(kind, principal, scriptId, executionId, detail, level, count, peer),
    unauthenticated,
  };
}

/**
 * Anyone can be refused, as often as they like: one event per refused call would let a caller
 * without credentials push every real event out of the bounded retained log (subscribers resuming
 * would get EventsLost). The first refusal after a quiet window is announced at once; those within
 * the window are counted and announced together as one event when it ends (detail: the latest),
 * so a sustained flood costs one event a second. The log gets a warn line a minute at most.
 */
function unauthenticatedEvents(announce: (detail: string, level: Level, count: number, peer: string | undefined) => void, windowMs: number, log?: Logger): EngineEvents["unauthenticated"] {
  let open = false;
  let pending = 0;
  let latest = { detail: "", level: "safe" as Level, peer: undefined as string | undefined };
  let unlogged = 0;
  const warn = log ? throttledWarn(log, { onWrite: () => (unlogged = 0) }) : undefined;
  const say = (detail: string, level: Level, count: number, peer: string | undefined) => {
    announce(detail, level, count, peer);
    unlogged += count;
    warn?.("unauthenticated", "calls refused for missing or invalid credentials", { refused: unlogged, latest: detail, peer: peer ?? "unknown" });
  };
  const windowEnds = () => {
    if (pending === 0) return void (open = false);
    const count = pending;
    pending = 0;
    say(latest.detail, latest.level, count, latest.peer);
    setTimeout(windowEnds, windowMs).unref();
  };
  return (method, reason, level, peer) => {
    const detail = `${method}: ${reason}`;
    if (open) {
      pending++;
      latest = { detail, level, peer };
      return;
    }
    open = true;
    say(detail, level, 1, peer);
    setTimeout(windowEnds, windowMs).unref();
  };
}
