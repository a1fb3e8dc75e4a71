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
  /** A call refused for missing or invalid credentials, from `peer` ("address:port"); announced coalesced (see coalesced). */
  unauthenticated(method: string, reason: string, level: Level, peer?: string): void;
  /**
   * A call of an authenticated principal refused for lacking a right outside a run (kind
   * "permission_denied", `level` its maximum); announced coalesced per principal (see coalesced).
   */
  permissionDenied(method: string, principal: string, reason: string, level: Level, peer?: string): void;
}

export interface EngineEventsOptions {
  log?: Logger;
  /** The least time between two "unauthenticated" events, or two "permission_denied" ones outside runs of one principal (default 1 s). */
  unauthenticatedWindowMs?: number;
}

export function engineEvents(publish: (event: ServiceEvent) => void, options: EngineEventsOptions = {}): EngineEvents {
  const emit = (event: ServiceEvent["event"]) => publish(create(ServiceEventSchema, { event }));
  const violation = (kind: string, principal: string, scriptId: string, executionId: string, detail: string, level: Level, count: number, peer = "") =>
    emit({
      case: "securityViolation",
      value: create(SecurityViolationSchema, { kind, principal, scriptId, executionId, detail, securityLevel: LEVEL_TO_PROTO[level], count, peer }),
    });
  const windowMs = options.unauthenticatedWindowMs ?? 1000;
  let unlogged = 0;
  const warn = options.log ? throttledWarn(options.log, { onWrite: () => (unlogged = 0) }) : undefined;
  const refusedCredentials = coalesced<Level>((_, detail, level, count, peer) => {
    violation("unauthenticated", "", "", "", detail, level, count, peer);
    unlogged += count;
    warn?.("unauthenticated", "calls refused for missing or invalid credentials", { refused: unlogged, latest: detail, peer: peer ?? "unknown" });
  }, windowMs);
  const refusedRights = coalesced<Level>((principal, detail, level, count, peer) => violation("permission_denied", principal, "", "", detail, level, count, peer), windowMs);
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
    unauthenticated: (method, reason, level, peer) => refusedCredentials("", `${method}: ${reason}`, level, peer),
    permissionDenied: (method, principal, reason, level, peer) => refusedRights(principal, `${method}: ${reason}`, level, peer),
  };
}

/**
 * Anyone can be refused, as often as they like: one event per refused call would let a caller
 * without credentials (or a principal looping a call it may not make) push every real event out of
 * the bounded retained log (subscribers resuming would get EventsLost). Per key (no key for
 * credentials, the principal for rights), the first refusal after a quiet window is announced at
 * once; those within the window are counted and announced together as one event when it ends
 * (detail: the latest), so a sustained flood costs one event a second per key.
 */
function coalesced<L>(announce: (key: string, detail: string, level: L, count: number, peer: string | undefined) => void, windowMs: number) {
  const open = new Map<string, { pending: number; latest?: { detail: string; level: L; peer: string | undefined } }>();
  const windowEnds = (key: string) => {
    const w = open.get(key)!;
    if (w.pending === 0) return void open.delete(key);
    const count = w.pending;
    w.pending = 0;
    announce(key, w.latest!.detail, w.latest!.level, count, w.latest!.peer);
    setTimeout(windowEnds, windowMs, key).unref();
  };
  return (key: string, detail: string, level: L, peer: string | undefined) => {
    const w = open.get(key);
    if (w) {
      w.pending++;
      w.latest = { detail, level, peer };
      return;
    }
    open.set(key, { pending: 0 });
    announce(key, detail, level, 1, peer);
    setTimeout(windowEnds, windowMs, key).unref();
  };
}
