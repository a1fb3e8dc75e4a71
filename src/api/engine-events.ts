// The events the engine's RPCs cause: ScriptCompiled, ScriptExecuted and SecurityViolation.
import { create } from "@bufbuild/protobuf";

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
  violation(kind: "permission_denied" | "limit_exceeded" | "escape_attempt" | "unauthenticated", principal: string, scriptId: string, executionId: string, detail: string, level: Level): void;
}

export function engineEvents(publish: (event: ServiceEvent) => void): EngineEvents {
  const emit = (event: ServiceEvent["event"]) => publish(create(ServiceEventSchema, { event }));
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
    violation: (kind, principal, scriptId, executionId, detail, level) =>
      emit({
        case: "securityViolation",
        value: create(SecurityViolationSchema, { kind, principal, scriptId, executionId, detail: detail.slice(0, 1000), securityLevel: LEVEL_TO_PROTO[level] }),
      }),
  };
}
