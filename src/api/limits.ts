// Turns a request's claims into what an execution may do: the security level and permissions
// clamped to the authenticated principal, and limits from the level table
// (product-decisions.md) capped by the configuration and tightened by the request.
import { SecurityLevel, type ResourceLimits } from "../../gen/ts/scriptengine/v1/common_pb.js";
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { ExecutionContext } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { requestMs, wholeMs } from "./duration.ts";
import { LEVEL_RANK, hasPermission } from "../auth/principal.ts";
import type { Config, Level, Principal } from "../config/types.ts";
import { announcedViolation, serviceError } from "../errors.ts";
import type { CallerSlots, ExecutionLimits } from "../engine/index.ts";

const MiB = 1024 * 1024;

/** The level table. `undefined` means "the configuration's cap". */
export const LEVELS: Record<Level, { memoryBytes?: number; timeoutMs?: number; cpuShare?: number; concurrent?: number; tools: "pure" | "listed" | "all" }> = {
  safe: { memoryBytes: 50 * MiB, timeoutMs: 10_000, cpuShare: 50, concurrent: 10, tools: "pure" },
  production: { memoryBytes: 100 * MiB, timeoutMs: 30_000, cpuShare: 75, concurrent: 50, tools: "listed" },
  development: { tools: "all" },
};

const FROM_PROTO: Partial<Record<SecurityLevel, Level>> = {
  [SecurityLevel.SAFE]: "safe",
  [SecurityLevel.PRODUCTION]: "production",
  [SecurityLevel.DEVELOPMENT]: "development",
};

/** Built-in host tools and what they need: a level that grants them and a permission. */
export const HOST_TOOLS: Record<string, { levels: Level[]; permission: string }> = {
  http: { levels: ["production", "development"], permission: "tools:http" },
  fs: { levels: ["development"], permission: "tools:fs" },
};

export interface Grant {
  level: Level;
  principal: Principal;
  permissions: string[];
  limits: ExecutionLimits;
  /**
   * The wall limit is the RPC's deadline (less its margin), shorter than every limit of the script's
   * own. The CPU-time budget is then the level's share of that deadline (cpuBudgetMs): a short deadline
   * must not lift the share to a whole core.
   */
  wallIsDeadline: boolean;
  caller: CallerSlots;
  /** http tool requests one execution may make: the configuration's cap, tightened by the request. */
  maxNetworkRequests: number;
  /**
   * Host tools the caller may reach, through its script or a registered tool it calls: granted by
   * the level and held as a permission. Checked again at each registered tool's call, since the
   * tool may have been migrated anew since the grant.
   */
  hostTools: string[];
  /** Whether the execution collects a CPU profile: asked for, and the caller holds `profile`. */
  cpuProfile: boolean;
  /** Claims the request made that were reduced (clamp mode), for the log and events. */
  clamped: string[];
}

export interface GrantInput {
  config: Config;
  principal: Principal;
  context: ExecutionContext | undefined;
  /** Remaining RPC deadline, if any. */
  deadlineMs: number | undefined;
  /** Tools registered in the engine (scripts): whether each is pure, and the host tools it uses. */
  registeredTools?: (name: string) => { pure: boolean; hostTools?: string[] } | undefined;
  /** Called for every refused claim before it is thrown (for SecurityViolation events). */
  onViolation?: (detail: string, level: Level) => void;
}

const minDefined = (...values: (number | undefined)[]) =>
  values.filter((v): v is number => v !== undefined && Number.isFinite(v)).reduce((a, b) => Math.min(a, b), Infinity);

/**
 * How many executions the principal may have running at once at `level`: the level table's,
 * capped by the configuration and the principal's own `max_concurrent` (callerSlots says what each
 * counts). Its scripts (a request may tighten it further) and the describe and smoke runs of its
 * migrations count against it alike.
 */
export function callerLimit(config: Config, principal: Principal, level: Level): number {
  return callerSlots(config, principal, level).limit;
}

/**
 * The engine's per-caller concurrency for a run at `level` (callerLimit's number): the level table's
 * cap counts the principal's executions at that level only, so its work at one level never takes
 * the room it has at another; the principal's own caps (its max_concurrent, the configuration's
 * max_concurrent_operations, and the request's, when given) count all its executions together.
 */
export function callerSlots(config: Config, principal: Principal, level: Level, requested?: number): CallerSlots {
  const total = minDefined(config.resourceLimits.maxConcurrentOperations, principal.maxConcurrent || undefined, requested);
  const atLevel = LEVELS[level].concurrent ?? Infinity;
  // Of equal caps, the most specific is named: the request's, then the principal's, the configuration's.
  const totalName = requested === total ? "the request's resource_limits.max_concurrent_operations"
    : principal.maxConcurrent === total ? "its max_concurrent"
    : "resource_limits.max_concurrent_operations";
  return {
    key: principal.name,
    limit: Math.min(atLevel, total),
    limitName: atLevel < total ? `the ${level} level's` : totalName,
    level,
    ...(Number.isFinite(total) ? { total: { limit: total, name: totalName } } : {}),
  };
}

export function grantFor(input: GrantInput): Grant {
  const { config, principal, context } = input;
  const sc = context?.securityContext;
  const clamped: string[] = [];
  const refuse = (detail: string, level: Level, metadata: Record<string, string>) => {
    const refusal = serviceError("SECURITY_VIOLATION", detail, { metadata: { principal: principal.name, ...metadata } });
    if (!input.onViolation) throw refusal;
    input.onViolation(detail, level);
    throw announcedViolation(refusal);
  };
  const clampOrRefuse = (detail: string, level: Level, metadata: Record<string, string>) => {
    if (config.auth.onExcess === "deny") refuse(detail, level, metadata);
    clamped.push(detail);
  };

  // Level: the request's, else the server default, never above the principal's maximum. A number
  // the contract does not define is the caller's error, not a silent default.
  if (sc && sc.securityLevel !== SecurityLevel.UNSPECIFIED && !FROM_PROTO[sc.securityLevel]) {
    const field = "context.security_context.security_level";
    throw serviceError("VALIDATION_ERROR", `${field} ${sc.securityLevel} is not a security level`, { field });
  }
  const asked = sc && FROM_PROTO[sc.securityLevel];
  let level: Level = asked ?? config.securityLevel;
  // Only a level the caller asked for is a claim: the server default, above the principal's
  // maximum, is that maximum (else raising the default for some callers would refuse, or announce
  // as violations, every call of the others that names no level).
  if (LEVEL_RANK[level] > LEVEL_RANK[principal.maxSecurityLevel]) {
    if (asked) clampOrRefuse(`principal "${principal.name}" may not run at level ${level} (max ${principal.maxSecurityLevel})`, level, {
      requested_level: level,
      max_level: principal.maxSecurityLevel,
    });
    level = principal.maxSecurityLevel;
  }

  // Permissions: the request may narrow the principal's, never widen them.
  let permissions = principal.permissions.includes("*") ? ["*"] : [...principal.permissions];
  if (sc && sc.permissions.length > 0) {
    const held = sc.permissions.filter((p) => hasPermission(principal, p));
    for (const p of sc.permissions.filter((p) => !hasPermission(principal, p))) {
      clampOrRefuse(`principal "${principal.name}" does not hold the "${p}" permission`, level, { permission: p });
    }
    permissions = held;
  }
  const holds = (p: string) => permissions.includes("*") || permissions.includes(p) || (p !== "admin" && permissions.includes("admin"));

  // A CPU profile is a claim like the others: refused, or dropped in clamp mode.
  let cpuProfile = context?.collectCpuProfile === true;
  if (cpuProfile && !holds("profile")) {
    clampOrRefuse('a CPU profile needs the "profile" permission', level, { permission: "profile" });
    cpuProfile = false;
  }

  // Tools: each listed tool must be granted by the level and the permissions.
  const table = LEVELS[level];
  const tools: string[] = [];
  for (const name of new Set(context?.availableTools ?? [])) {
    // Own properties only: a tool named "toString" must not find Object.prototype's.
    const host = Object.hasOwn(HOST_TOOLS, name) ? HOST_TOOLS[name] : undefined;
    const registered = input.registeredTools?.(name);
    let why: string | undefined;
    if (host) {
      if (!host.levels.includes(level)) why = `the ${name} tool is not available at level ${level}`;
      else if (!holds(host.permission)) why = `the ${name} tool needs the "${host.permission}" permission`;
    } else if (registered) {
      if (table.tools === "pure" && !registered.pure) why = `the ${name} tool is not pure and level ${level} allows pure tools only`;
      // A registered tool reaches the host only with the caller's own rights: the level must grant
      // each host tool it uses and the caller must hold its permission.
      for (const h of registered.hostTools ?? []) {
        const need = HOST_TOOLS[h];
        if (!why && need && !need.levels.includes(level)) why = `the ${name} tool uses ${h}, which level ${level} does not grant`;
        if (!why && need && !holds(need.permission)) why = `the ${name} tool uses ${h}, which needs the "${need.permission}" permission`;
      }
    } else {
      throw serviceError("TOOL_NOT_FOUND", `no tool named "${name}"`, { metadata: { tool: name } });
    }
    if (why) clampOrRefuse(why, level, { tool: name });
    else tools.push(name);
  }

  const rl = config.resourceLimits;
  const req = requestLimits(context?.resourceLimits);
  const requestedTimeout = context?.timeout ? requestMs(context.timeout, "context.timeout") : config.defaultExecutionTimeoutMs;
  if (requestedTimeout <= 0) throw serviceError("VALIDATION_ERROR", "context.timeout must be positive", { field: "context.timeout" });
  const timeoutMs = wholeMs(requestedTimeout);
  const ownWallMs = minDefined(table.timeoutMs, rl.maxExecutionTimeMs, timeoutMs, req.maxExecutionTimeMs);
  const wallTimeoutMs = minDefined(ownWallMs, input.deadlineMs);
  // Isolates take whole MiB: a limit between two is rounded down (a cap never grows), so the limit an
  // error states, in its message (MiB) and its ErrorInfo (bytes), is the one enforced.
  const memoryBytes = Math.max(MIN_MEMORY_BYTES, Math.floor(minDefined(table.memoryBytes, rl.maxMemoryBytes, req.maxMemoryBytes) / MiB) * MiB);
  const cpuShare = minDefined(table.cpuShare, rl.maxCpuPercentage, req.maxCpuPercentage);

  return {
    level,
    principal,
    permissions,
    cpuProfile,
    clamped,
    wallIsDeadline: wallTimeoutMs < ownWallMs,
    caller: callerSlots(config, principal, level, req.maxConcurrentOperations),
    maxNetworkRequests: minDefined(rl.maxNetworkRequests, req.maxNetworkRequests),
    hostTools: Object.entries(HOST_TOOLS).filter(([, h]) => h.levels.includes(level) && holds(h.permission)).map(([name]) => name),
    limits: {
      memoryBytes,
      wallTimeoutMs,
      cpuShare: cpuShare >= 100 ? undefined : cpuShare,
      maxOutputBytes: config.execution.maxOutputBytes,
      maxReturnBytes: config.execution.maxReturnBytes,
      maxReturnValueBytes: config.execution.maxReturnBytes,
      maxToolPayloadBytes: config.execution.maxToolPayloadBytes,
      tools,
      toolTimeoutMs: minDefined(rl.operationTimeoutMs, req.operationTimeoutMs),
      maxToolCalls: 1000,
    },
  };
}

/** Smallest memory limit an isolate can run with (the engine's floor). */
const MIN_MEMORY_BYTES = 8 * 1024 * 1024;

/**
 * The request's own ResourceLimits, checked: each may only tighten what the level and the
 * configuration grant, so a value that could not (zero, negative, not a number) is refused rather
 * than read as "no limit".
 */
function requestLimits(r: ResourceLimits | undefined) {
  const field = (name: string) => `context.resource_limits.${name}`;
  const bad = (name: string, why: string) => serviceError("VALIDATION_ERROR", `${field(name)} ${why}`, { field: field(name) });
  const positive = (d: Duration | undefined, name: string) => {
    if (!d) return undefined;
    const ms = requestMs(d, field(name));
    if (!(ms > 0)) throw bad(name, "must be positive");
    return wholeMs(ms);
  };
  if (r?.maxMemoryBytes !== undefined && r.maxMemoryBytes < BigInt(MIN_MEMORY_BYTES)) throw bad("max_memory_bytes", `must be at least ${MIN_MEMORY_BYTES}`);
  if (r?.maxCpuPercentage !== undefined && !(r.maxCpuPercentage > 0 && Number.isFinite(r.maxCpuPercentage))) throw bad("max_cpu_percentage", "must be a positive percentage");
  if (r?.maxConcurrentOperations !== undefined && r.maxConcurrentOperations < 1n) throw bad("max_concurrent_operations", "must be at least 1");
  return {
    maxMemoryBytes: r?.maxMemoryBytes !== undefined ? Number(r.maxMemoryBytes) : undefined,
    maxCpuPercentage: r?.maxCpuPercentage,
    maxConcurrentOperations: r?.maxConcurrentOperations !== undefined ? Number(r.maxConcurrentOperations) : undefined,
    maxNetworkRequests: r?.maxNetworkRequests !== undefined ? Number(r.maxNetworkRequests) : undefined,
    maxExecutionTimeMs: positive(r?.maxExecutionTime, "max_execution_time"),
    operationTimeoutMs: positive(r?.operationTimeout, "operation_timeout"),
  };
}
