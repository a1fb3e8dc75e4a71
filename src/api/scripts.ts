// ScriptService's engine RPCs: CompileScript, ExecuteScript, RunScript, GetScript, ListScripts.
// Requests are validated, the caller's claims clamped (limits.ts), scripts kept in the store, and
// the work done by the isolate engine. A script that throws is a successful call with
// success=false; a breached limit is the matching gRPC error.
import { randomUUID } from "node:crypto";
import { create, fromJson, type JsonValue as PbJson } from "@bufbuild/protobuf";
import { ValueSchema, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import {
  CompiledScriptSchema,
  ExecutionErrorKind,
  ExecutionResultSchema,
  ScriptKind,
  ScriptLanguage,
  type CompiledScript,
  type ExecutionContext,
  type ExecutionResult,
} from "../../gen/ts/scriptengine/v1/script_pb.js";
import { Severity, type ResourceUsage } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ExecutionOutputSchema } from "../../gen/ts/scriptengine/v1/errors_pb.js";
import { LEVEL_RANK, principalOf, requirePermission } from "../auth/principal.ts";
import { peerKey } from "../doors/peer.ts";
import { storedSourceOver } from "../store/source-limit.ts";
import type { Config, Level } from "../config/types.ts";
import { abortedWith, announcedViolation, firstLine, serviceError } from "../errors.ts";
import { CompileLeftError } from "../engine/errors.ts";
import { CompileError, EngineError, cpuBudgetMs, cpuShareOfDeadline, type Engine, type ErrorCause, type ExecutionOutcome, type JsonObject, type TimeLimit } from "../engine/index.ts";
import type { ListedScript, ScriptRepository, StoredScript } from "../store/scripts.ts";
import { decodePageToken, encodePageToken, pageSizeOf, pageWithin } from "../store/database.ts";
import { countRefusals, toolBridge, type Refusals, type ScriptToolRunner } from "../tools/bridge.ts";
import { hostToolOptions } from "../tools/host-tool-options.ts";
import { grantFor, type Grant } from "./limits.ts";
import { usageMessage, type EngineEvents } from "./engine-events.ts";
import type { ExecutionTelemetry } from "../telemetry/index.ts";
import { durationOf } from "./duration.ts";
import { argumentJson, checkExecutionId, checkMetadata, checkName, checkScriptId, compilationOptions } from "./script-input.ts";
import type { MetricsContributor } from "./script-service.ts";
import type { Logger } from "../log.ts";
import { throttledWarn } from "../log-throttle.ts";

export interface ScriptsDeps {
  config: Config;
  engine: Engine;
  scripts: ScriptRepository;
  events: EngineEvents;
  /** Registered script tools (the tool registry), when there is one. */
  tools?: { describe(name: string): { pure: boolean; hostTools?: string[] } | undefined; run: ScriptToolRunner };
  /** OpenTelemetry spans and counts of compiles and executions (absent when telemetry is off). */
  telemetry?: ExecutionTelemetry;
  /** For the audit line of a deletion. */
  log?: Logger;
}

const MAX_ARGUMENTS_BYTES = 4 * 1024 * 1024;

/** How a compile that reached the compiler can fail, other than by a syntax error. */
const COMPILER_FAILURES: ReadonlySet<string> = new Set(["RESOURCE_EXCEEDED", "TIMEOUT", "WORKER_CRASHED"]);

/** A source's language and kind as the engine takes them (compilationOptions). */
type Compilation = ReturnType<typeof compilationOptions>;

const NO_USAGE: ExecutionOutcome["usage"] = { memoryBytes: 0, cpuPercentage: 0, operationsCount: 0, networkIoBytes: 0, fileIoBytes: 0 };

/** A started execution that ended with no outcome of its own (its worker stopped or lost): what its ScriptExecuted says. */
const cutOutcome = (executionId: string, ms: number): ExecutionOutcome => ({
  executionId, success: false, returnValue: undefined, stdout: "", stderr: "", executionTimeMs: ms, usage: NO_USAGE,
  metadata: { cacheHit: false, isolateId: "", workerId: "", queueWaitMs: 0 },
});

/** `n` if a uint32 field can hold it, else 0 (none). */
const uint32OrZero = (n: number) => (Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff ? n : 0);

const SEVERITY = { info: Severity.INFO, warning: Severity.WARNING, error: Severity.ERROR } as const;
const ERROR_KIND: Record<string, ExecutionErrorKind> = {
  script_threw: ExecutionErrorKind.SCRIPT_THREW,
  timeout: ExecutionErrorKind.TIMEOUT,
  memory_limit: ExecutionErrorKind.MEMORY_LIMIT,
  output_limit: ExecutionErrorKind.OUTPUT_LIMIT,
  invalid_return_value: ExecutionErrorKind.INVALID_RETURN_VALUE,
  tool_error: ExecutionErrorKind.TOOL_ERROR,
  security_violation: ExecutionErrorKind.SECURITY_VIOLATION,
  cancelled: ExecutionErrorKind.CANCELLED,
  worker_crashed: ExecutionErrorKind.WORKER_CRASHED,
};

function compiledMessage(s: Pick<StoredScript, "scriptId" | "version" | "sourceHash" | "language" | "kind" | "name" | "metadata" | "diagnostics" | "compiledAtMs" | "compileTimeMs"> & { sourceSize: number }, cacheHit: boolean): CompiledScript {
  return create(CompiledScriptSchema, {
    scriptId: s.scriptId,
    version: s.version,
    sourceHash: s.sourceHash,
    language: s.language === "typescript" ? ScriptLanguage.TYPESCRIPT : ScriptLanguage.JAVASCRIPT,
    kind: s.kind === "module" ? ScriptKind.MODULE : ScriptKind.EXPRESSION,
    name: s.name,
    sourceSize: BigInt(s.sourceSize),
    compiledAt: timestampFromMs(s.compiledAtMs),
    compileTime: durationOf(s.compileTimeMs),
    cacheHit,
    diagnostics: s.diagnostics.map((d) => ({ severity: SEVERITY[d.severity], message: d.message, line: d.line, column: d.column })),
    metadata: s.metadata,
  });
}

/** A string field's tag and length prefix (lengths up to 2 MiB). */
const FIELD = 4;

/**
 * What a listed script takes in a response, from above: its name, metadata and diagnostics in UTF-8
 * bytes, the wire's unit (CJK text is 3 bytes per UTF-16 unit), each with its framing (a map entry
 * is a message of key and value), and 384 for the rest (id, hash, times, the entry's framing).
 */
function listedBytes(s: ListedScript): number {
  let bytes = 384 + Buffer.byteLength(s.name) + FIELD;
  for (const [k, v] of Object.entries(s.metadata)) bytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 3 * FIELD;
  for (const d of s.diagnostics) bytes += Buffer.byteLength(d.message) + 16 + 2 * FIELD;
  return bytes;
}

/** A script, or the version asked (0: the latest), not stored: the message and ErrorInfo name both. */
const scriptNotFound = (scriptId: string, version: number) =>
  serviceError("SCRIPT_NOT_FOUND", `script ${scriptId}${version ? ` version ${version}` : ""} not found`, {
    metadata: { script_id: scriptId, version: version || undefined },
  });

/** Fills PerformanceMetrics.stored_script_bytes. */
export const storeMetrics =
  (scripts: ScriptRepository): MetricsContributor =>
  (m) => {
    m.storedScriptBytes = BigInt(scripts.bytes);
  };

/** Deleting stored scripts needs this permission (admin holds it too). */
export const SCRIPTS_DELETE = "scripts:delete";

/** `work`, or the call's end when that comes first (what work there is goes on, and is cached). */
function untilCallEnds<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortedWith(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedWith(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export function scriptsService(deps: ScriptsDeps): Partial<ServiceImpl<typeof ScriptService>> {
  const { config, engine, scripts, events } = deps;
  const clampWarn = deps.log ? throttledWarn(deps.log) : undefined;

  function checkSource(source: string) {
    const size = Buffer.byteLength(source);
    if (size > config.maxSourceSize) {
      throw serviceError("VALIDATION_ERROR", `source is ${size} bytes, over max_source_size (${config.maxSourceSize})`, {
        field: "source",
        metadata: { size, limit: config.maxSourceSize },
      });
    }
    if (source.trim() === "") throw serviceError("VALIDATION_ERROR", "source is empty", { field: "source" });
  }

  /** `signal`: a caller that has gone (RunScript's) leaves the compile, which its worker then drops unless begun. */
  async function compile(source: string, form: Compilation, filename: string, scriptId: string, signal?: AbortSignal) {
    checkSource(source);
    const t0 = performance.now();
    try {
      const work = () => engine.compile(source, { ...form, filename }, signal);
      return await (deps.telemetry ? deps.telemetry.compile(scriptId, work) : work());
    } catch (err) {
      if (err instanceof CompileError) {
        events.compiled(scriptId, false, performance.now() - t0, err.message);
        throw serviceError("COMPILATION_ERROR", err.message, { metadata: { script_id: scriptId, line: err.line, column: err.column } });
      }
      // A compile that reached the compiler and failed otherwise (the compiler's memory, its deadline,
      // its workers lost) is announced too, whether or not its caller still waits; one refused before
      // (a full queue, a stopping engine) never reached it.
      if (err instanceof EngineError && COMPILER_FAILURES.has(err.reason)) events.compiled(scriptId, false, performance.now() - t0, firstLine(err));
      throw err;
    }
  }

  /**
   * The time a script may run within the RPC's deadline: a little less than all of it (a tenth, at
   * most 100 ms), so that the answer, TIMEOUT with its ErrorInfo, reaches the caller before the
   * caller's own timer gives up on the call. Whole milliseconds (what is left of a deadline has
   * fractions), so the TIMEOUT's message and its ErrorInfo timeout_ms name the same figure.
   */
  const answerBy = (deadlineMs: number | undefined) => (deadlineMs === undefined ? undefined : Math.max(1, Math.floor(deadlineMs - Math.min(100, deadlineMs / 10))));

  /**
   * A running script is stopped by its wall limit (answerBy), so its TIMEOUT reaches the caller before
   * the deadline; one still waiting to start then (for a compiler, in the queue, or sent ahead to a
   * busy worker) is answered at that same margin, TIMEOUT saying it never ran (metadata started
   * "false"): at the deadline a gRPC caller has given up already, unable to tell "never ran, safe to
   * retry" from "ran and timed out". `signal` follows the call's and aborts then too, which drops the
   * execution unstarted; `failed` turns what that aborted into the TIMEOUT (`late`'s: CompileScript
   * words its own). `startedAt`: when the script started (performance.now()), if it did.
   */
  function startWithin(ctx: HandlerContext, scriptId: string, late: (waitedMs: number, cause: unknown) => Error = (waitedMs, cause) =>
    serviceError("TIMEOUT", `the call's deadline ran out before the script started (after ${waitedMs} ms waiting for a busy worker): it never ran, so it is safe to retry`, {
      metadata: { script_id: scriptId, started: "false" },
      cause,
    })) {
    const by = answerBy(ctx.timeoutMs());
    let startedAt: number | undefined;
    // No deadline, no margin: nothing to arm on ExecuteScript's path.
    if (by === undefined) {
      return {
        signal: ctx.signal,
        started: () => void (startedAt = performance.now()),
        startedAt: () => startedAt,
        expired: () => false,
        failed: (err: unknown) => err,
        end: () => {},
      };
    }
    let expired = false;
    const t0 = performance.now();
    const expiry = new AbortController();
    const timer = setTimeout(() => {
      if (startedAt !== undefined || ctx.signal.aborted) return;
      expired = true;
      expiry.abort(new Error("the call's deadline ran out before it was answered"));
    }, by);
    const end = () => clearTimeout(timer);
    ctx.signal.addEventListener("abort", end, { once: true });
    return {
      signal: AbortSignal.any([ctx.signal, expiry.signal]),
      started: () => {
        startedAt = performance.now();
        end();
      },
      startedAt: () => startedAt,
      /** The call's own margin ended the wait (not its cancel, nor its deadline itself). */
      expired: () => expired,
      failed: (err: unknown) => (expired ? late(Math.round(performance.now() - t0), err) : err),
      end: () => {
        end();
        ctx.signal.removeEventListener("abort", end);
      },
    };
  }
  type StartWithin = ReturnType<typeof startWithin>;

  /**
   * The level a call refused before its grant would have run at, its telemetry label: the level it
   * asked for, else the server's, within its principal's maximum (the principal's maximum when the
   * grant would refuse it).
   */
  function levelAsked(ctx: HandlerContext, context: ExecutionContext | undefined): Level {
    const principal = principalOf(ctx);
    try {
      return grantFor({ config, principal, context, deadlineMs: undefined, registeredTools: deps.tools?.describe }).level;
    } catch {
      return LEVEL_RANK[config.securityLevel] > LEVEL_RANK[principal.maxSecurityLevel] ? principal.maxSecurityLevel : config.securityLevel;
    }
  }

  function grant(ctx: HandlerContext, context: ExecutionContext | undefined, scriptId: string): Grant {
    return grantFor({
      config,
      principal: principalOf(ctx),
      context,
      deadlineMs: answerBy(ctx.timeoutMs()),
      registeredTools: deps.tools?.describe,
      onViolation: (detail, level) => events.violation("permission_denied", principalOf(ctx).name, scriptId, "", detail, level, ctx.values.get(peerKey)),
    });
  }

  /**
   * Clamp mode runs a request that asked for more than its principal holds with less: a
   * SecurityViolation (kind "clamped") per execution and a warn line say what was asked and what
   * was granted, so that operators see it as they see a refusal in deny mode. The line is written
   * once a minute per principal at most (with how many were not): a caller that always asks for
   * more would otherwise grow the log with its traffic.
   */
  function announceClamp(g: Grant, scriptId: string, executionId: string, peer: string | undefined) {
    const granted = { level: g.level, permissions: g.permissions, tools: g.limits.tools, cpu_profile: g.cpuProfile };
    clampWarn?.(g.principal.name, "request clamped to its principal's rights", { principal: g.principal.name, script_id: scriptId, execution_id: executionId, asked: g.clamped, granted });
    const detail = `${g.clamped.join("; ")}; ran at level ${g.level} with permissions [${g.permissions.join(", ")}] and tools [${granted.tools.join(", ")}]`;
    events.violation("clamped", g.principal.name, scriptId, executionId, detail, g.level, peer);
  }

  /** `compiledMs`: the share of the call's deadline RunScript spent compiling the source (waiting for a compiler included) before its grant. */
  async function run(ctx: HandlerContext, source: string, cc: { language: "javascript" | "typescript"; kind?: "module" | "expression"; filename: string; cacheKey?: string; compiledCacheHit?: boolean; waitedBeforeMs?: number }, scriptId: string, version: number, context: ExecutionContext | undefined, compiledMs = 0, start: StartWithin = startWithin(ctx, scriptId)): Promise<ExecutionResult> {
    try {
      return await runStarting(ctx, source, cc, scriptId, version, context, compiledMs, start);
    } catch (err) {
      throw start.failed(err);
    } finally {
      start.end();
    }
  }

  async function runStarting(ctx: HandlerContext, source: string, cc: Parameters<typeof run>[2], scriptId: string, version: number, context: ExecutionContext | undefined, compiledMs: number, start: StartWithin): Promise<ExecutionResult> {
    const g = grant(ctx, context, scriptId);
    if (context?.executionId) checkExecutionId(context.executionId);
    const executionId = context?.executionId || randomUUID();
    // No prototype: an argument named "__proto__" is the caller's data, not a prototype to set.
    const args: JsonObject = Object.create(null);
    let argBytes = 0;
    for (const [k, v] of Object.entries(context?.arguments ?? {})) {
      args[k] = argumentJson(k, v);
      argBytes += JSON.stringify(args[k]).length;
    }
    if (argBytes > MAX_ARGUMENTS_BYTES) throw serviceError("VALIDATION_ERROR", "arguments are too large", { field: "context.arguments" });
    if (g.clamped.length > 0) announceClamp(g, scriptId, executionId, ctx.values.get(peerKey));
    const user = context?.userContext;
    const trace = deps.telemetry?.start({ scriptId, executionId, level: g.level });
    const refused: Refusals = { count: 0, first: "" };
    const bridge = countRefusals(toolBridge({
      level: g.level,
      workingDirectory: context?.workingDirectory,
      fsRoots: config.tools.fsRoots,
      ...hostToolOptions(config),
      network: g.maxNetworkRequests,
      scriptTools: deps.tools?.run,
      callerHostTools: g.hostTools,
      // The request can only tighten: its granted memory and CPU share hold for the tools it calls too.
      callerLimits: g.limits,
    }), refused);
    const outcome = await engine.execute(
      {
        source,
        language: cc.language,
        kind: cc.kind,
        filename: cc.filename,
        cacheKey: cc.cacheKey,
        compiledCacheHit: cc.compiledCacheHit,
        waitedBeforeMs: cc.waitedBeforeMs,
        arguments: args,
        env: { ...context?.environment },
        user: user ? { userId: user.userId, displayName: user.displayName, tenantId: user.tenantId, roles: [...user.roles], locale: user.locale, attributes: { ...user.attributes } } : undefined,
        limits: g.limits,
        executionId,
        scriptId,
        collectCpuProfile: g.cpuProfile,
        caller: g.caller,
        onToolCall: trace ? trace.tools(bridge) : bridge,
        onDispatch: (info) => {
          start.started();
          trace?.dispatched(info);
        },
      },
      start.signal,
    ).then(
      (o) => (trace?.done(o), o),
      (err: unknown) => {
        trace?.done(undefined, err);
        // Started, then cut at the grace's end or lost with its worker: a failed execution, as GetMetrics
        // counts it, announced as a timeout or cancel is, with what is known (its time so far, no usage).
        const startedAt = start.startedAt();
        if (startedAt !== undefined && err instanceof EngineError && !err.notRun && (err.reason === "ENGINE_STOPPED" || err.reason === "WORKER_CRASHED")) {
          events.executed(scriptId, cutOutcome(executionId, performance.now() - startedAt), usageMessage(NO_USAGE));
        }
        // Its worker was lost under it (or before it started): retryable, and the caller learns which execution.
        if (err instanceof EngineError && err.reason === "WORKER_CRASHED") {
          throw serviceError("WORKER_CRASHED", err.message, { metadata: { execution_id: executionId, script_id: scriptId }, retryAfterMs: err.retryAfterMs, cause: err });
        }
        throw err;
      },
    );
    // One ResourceUsage message for the event and the result (neither is changed after).
    const usage = usageMessage(outcome.usage);
    events.executed(scriptId, outcome, usage);
    const attempts = refusalsOf(outcome, refused);
    failOnLimit(outcome, g, scriptId, principalOf(ctx).name, ctx.values.get(peerKey), attempts, compiledMs);
    return resultMessage(outcome, usage, scriptId, version, g.level);
  }

  /**
   * A timeout's ErrorInfo: the wall limit (timeout_ms) and, when the run had a CPU share, its CPU-time
   * budget (cpu_time_ms), with `limit` naming the one that stopped it.
   */
  function timeLimitMetadata(limit: TimeLimit | undefined, g: Grant): Record<string, string | number> {
    const cpu = cpuBudgetMs(g.limits);
    return {
      timeout_ms: g.limits.wallTimeoutMs,
      ...(cpu < g.limits.wallTimeoutMs ? { cpu_time_ms: cpu } : {}),
      ...(limit ? { limit } : {}),
    };
  }

  /**
   * A breached limit is an RPC error with the matching code (and a SecurityViolation event, unless the
   * call's deadline stopped it). Tool calls refused for security are one escape_attempt event for the
   * execution, counting them (`attempts`), whether the script caught them or one ended it.
   */
  function failOnLimit(o: ExecutionOutcome, g: Grant, scriptId: string, principal: string, peer: string | undefined, attempts: Refusals, compiledMs: number) {
    const e = o.error;
    const ended = e?.kind === "security_violation" ? e.message : undefined;
    if (ended !== undefined || attempts.count > 0) {
      events.violation("escape_attempt", principal, scriptId, o.executionId, attemptsDetail(attempts, ended), g.level, peer, Math.max(1, attempts.count));
    }
    if (!e) return;
    const meta = { execution_id: o.executionId, script_id: scriptId };
    // The call returns no result: the end of what the run printed goes with the error.
    const t = o.outputTail;
    const details = t && [{
      desc: ExecutionOutputSchema,
      value: {
        stdoutTail: t.stdout.text, stderrTail: t.stderr.text, stdoutBytes: BigInt(t.stdout.bytes), stderrBytes: BigInt(t.stderr.bytes),
        stdoutCut: t.stdout.cut, stderrCut: t.stderr.cut,
      },
    }];
    switch (e.kind) {
      case "timeout": {
        // The worker knows only its wall limit; when that was the call's deadline, the deadline stopped
        // it: the caller's choice, not a breach by the script, so no SecurityViolation.
        // Its CPU budget was then its share of the deadline: a stop by that budget says so (still a
        // breach of its CPU share, with that limit's ErrorInfo).
        const byDeadline = e.limit === "wall_clock" && g.wallIsDeadline && !e.tool;
        const deadline = `${Math.round(g.limits.wallTimeoutMs)} ms`;
        // Granted after its source compiled (a wait for a busy compiler included), the run had what
        // was left of the deadline then, not the call's whole deadline: the message says which.
        const compiling = Math.round(compiledMs);
        const message = byDeadline
          ? e.message.replace(/^the script exceeded its wall-clock limit of \S+ ms/, `the call's deadline ran out: the script was stopped after ${deadline}${compiling >= 1 ? `, ${compiling} ms having gone to compiling it first` : ""}`)
          : g.wallIsDeadline
            ? cpuShareOfDeadline(e.message, g.limits, "the script", compiling >= 1 ? `the ${deadline} left of the call's deadline after ${compiling} ms compiling it` : `the call's ${deadline} deadline`)
            : e.message;
        // Held past its limit behind another execution, it breached nothing of its own either.
        if (!byDeadline && !e.heldByAnother) events.violation("limit_exceeded", principal, scriptId, o.executionId, message, g.level, peer);
        // A tool's breach names the tool and its own limit, not the script's.
        const limits = e.tool ? { tool: e.tool.name, limit: e.limit ?? "wall_clock", limit_ms: e.tool.limit } : timeLimitMetadata(e.limit, g);
        throw serviceError("TIMEOUT", message, { metadata: { ...meta, ...limits }, details });
      }
      case "memory_limit":
        events.violation("limit_exceeded", principal, scriptId, o.executionId, e.message, g.level, peer);
        throw serviceError("RESOURCE_EXCEEDED", e.message, { metadata: { ...meta, resource: "memory", limit: e.tool?.limit ?? g.limits.memoryBytes, ...(e.tool && { tool: e.tool.name }) }, details });
      case "output_limit":
        throw serviceError("RESOURCE_EXCEEDED", e.message, { metadata: { ...meta, resource: "output", key: "execution.max_return_bytes", limit: g.limits.maxReturnBytes }, details });
      case "security_violation": // announced above, as the escape_attempt it was
        throw announcedViolation(serviceError("SECURITY_VIOLATION", e.message, { metadata: meta }));
      case "cancelled":
        throw serviceError("CANCELLED", e.message, { metadata: meta, details });
      case "worker_crashed":
        throw serviceError("WORKER_CRASHED", e.message, { metadata: meta, retryAfterMs: 100 });
    }
  }

  /** The refusals the server's bridge counted and those the worker answered itself (a tool not in available_tools). */
  function refusalsOf(o: ExecutionOutcome, bridge: Refusals): Refusals {
    const worker = o.refusedToolCalls;
    if (!worker || worker.count === 0) return bridge;
    return { count: bridge.count + worker.count, first: bridge.first || worker.first };
  }

  /** The event's detail: the violation that ended the run (else the first refusal), and how many refusals there were. */
  function attemptsDetail(a: Refusals, ended: string | undefined): string {
    if (ended !== undefined) return a.count > 1 ? `${ended} (${a.count} tool calls refused in this execution)` : ended;
    return a.count > 1 ? `${a.first} (${a.count} tool calls refused in this execution, the script caught them)` : `${a.first} (the script caught it)`;
  }

  /** A cause (or an AggregateError's error) as the contract's ErrorCause: its line and column read from a stack the script may have written. */
  function causeMessage(c: ErrorCause): ErrorCause {
    return { ...c, line: uint32OrZero(c.line), column: uint32OrZero(c.column) };
  }

  function resultMessage(o: ExecutionOutcome, usage: ResourceUsage, scriptId: string, version: number, level: Level): ExecutionResult {
    return create(ExecutionResultSchema, {
      executionId: o.executionId,
      scriptId,
      // The worker held it to max_return_bytes as JSON and as a Value (limits.maxReturnValueBytes).
      returnValue: o.returnValue === undefined ? undefined : fromJson(ValueSchema, o.returnValue as PbJson),
      // The engine made what the script wrote well-formed (engine/well-formed-json.ts): proto3 JSON
      // clients refuse a lone surrogate.
      stdout: o.stdout,
      stderr: o.stderr,
      executionTime: durationOf(o.executionTimeMs),
      success: o.success,
      error: o.error
        ? {
            kind: ERROR_KIND[o.error.kind] ?? ExecutionErrorKind.UNSPECIFIED,
            name: o.error.name,
            message: o.error.message,
            stack: o.error.stack,
            // Read from a stack the script may have written: any number, where the field is a uint32.
            line: uint32OrZero(o.error.line),
            column: uint32OrZero(o.error.column),
            causes: (o.error.causes ?? []).map(causeMessage),
            errors: (o.error.errors ?? []).map(causeMessage),
          }
        : undefined,
      resourceUsage: usage,
      metadata: {
        cache_hit: fromJson(ValueSchema, o.metadata.cacheHit),
        isolate_id: fromJson(ValueSchema, o.metadata.isolateId),
        worker_id: fromJson(ValueSchema, o.metadata.workerId),
        queue_wait_ms: fromJson(ValueSchema, Math.round(o.metadata.queueWaitMs * 1000) / 1000),
        script_version: fromJson(ValueSchema, version),
        security_level: fromJson(ValueSchema, level),
      },
      cpuProfile: o.cpuProfile ?? "",
    });
  }

  return {
    async compileScript(req, ctx) {
      const cc = req.context;
      if (cc?.scriptId) checkScriptId(cc.scriptId, "context.script_id");
      checkName(cc?.name ?? "", "context.name");
      checkMetadata(cc?.metadata ?? {});
      const form = compilationOptions(cc, "context");
      const scriptId = cc?.scriptId || `script-${randomUUID()}`;
      // Answered at the server's margin before the call's deadline, as RunScript is: TIMEOUT with its
      // ErrorInfo, where the caller's own timer would give a bare DEADLINE_EXCEEDED.
      const call = startWithin(ctx, scriptId, (waitedMs, cause) =>
        serviceError("TIMEOUT", `the call's deadline ran out before its source was compiled (after ${waitedMs} ms): nothing was stored, so it is safe to retry`, {
          metadata: { script_id: scriptId },
          cause,
        }));
      const t0 = performance.now();
      // A caller that gave up (its deadline, a cancel) or that the engine's stop refused stores
      // nothing: its retry would otherwise add a second version, and push good older ones out of
      // store.max_versions. It leaves the compilation (which then no longer counts against
      // pool.max_queue, and which its worker drops unless begun), and is still announced once that
      // ends: a validate_only one that compiled as compiled (it stores nothing anyway), else success false.
      const why = () => (call.expired() ? "the call's deadline ran out" : abortedWith(ctx.signal).rawMessage);
      const abandoned = (left: string) => (c: { compileTimeMs: number }) =>
        cc?.validateOnly ? events.compiled(scriptId, true, c.compileTimeMs) : events.compiled(scriptId, false, c.compileTimeMs, `compiled, but not stored: ${left}`);
      const work = compile(req.source, form, cc?.name || scriptId, scriptId, call.signal);
      let compiled;
      try {
        compiled = await untilCallEnds(work, call.signal);
      } catch (err) {
        // Left (its signal, or refused by the engine's stop): the compilation's own end is announced.
        // One that ended for this caller all the same (failed, compiled) was announced by compile(), or is below.
        const leftBy = (e: unknown) => e instanceof CompileLeftError && (e.reason === "ENGINE_STOPPED" ? "the engine is stopping" : why());
        void work.then(abandoned(why()), (e: unknown) => {
          const left = leftBy(e);
          if (left && e instanceof CompileLeftError) {
            e.compilation.then(abandoned(left), (end: unknown) => events.compiled(scriptId, false, performance.now() - t0, `${left}, and the source was not compiled: ${firstLine(end)}`));
          }
        });
        // Refused as the engine stops while it waited for a compiler: nothing was stored (no execution either).
        if (err instanceof CompileLeftError && err.reason === "ENGINE_STOPPED") {
          throw serviceError("ENGINE_STOPPED", "the engine is stopping; the script was not stored", { retryAfterMs: err.retryAfterMs ?? 1000, metadata: { script_id: scriptId }, cause: err });
        }
        throw call.failed(err);
      } finally {
        call.end();
      }
      if (call.signal.aborted) {
        abandoned(why())(compiled);
        throw call.failed(ctx.signal.aborted ? abortedWith(ctx.signal) : undefined);
      }
      const base = {
        scriptId,
        sourceHash: compiled.sourceHash,
        language: compiled.language,
        kind: compiled.kind,
        name: cc?.name ?? "",
        metadata: { ...cc?.metadata },
        diagnostics: compiled.diagnostics,
        compiledAtMs: Date.now(),
        compileTimeMs: compiled.compileTimeMs,
        cacheKey: compiled.cacheKey,
      };
      if (cc?.validateOnly) {
        // Announced like a failed one: ScriptCompiled is every CompileScript's outcome.
        events.compiled(scriptId, true, compiled.compileTimeMs);
        return { script: compiledMessage({ ...base, version: 0, sourceSize: compiled.sourceSize }, compiled.cacheHit) };
      }
      let added;
      try {
        added = scripts.add({ ...base, source: req.source });
      } catch (err) {
        // Compiled, but refused by the store (store.max_bytes, a full disk): the call fails, and says so.
        events.compiled(scriptId, false, compiled.compileTimeMs, `compiled, but not stored: ${firstLine(err)}`);
        throw err;
      }
      const { stored, previous } = added;
      // A new version replaces the old one's cache entry (unless the source is unchanged).
      if (previous && previous.cacheKey !== stored.cacheKey) engine.invalidate(previous.cacheKey);
      events.compiled(scriptId, true, compiled.compileTimeMs);
      return { script: compiledMessage({ ...stored, sourceSize: compiled.sourceSize }, compiled.cacheHit) };
    },

    async executeScript(req, ctx) {
      const scriptId = req.scriptId || req.context?.scriptId || "";
      if (!scriptId) throw serviceError("VALIDATION_ERROR", "script_id is required", { field: "script_id" });
      if (req.scriptId && req.context?.scriptId && req.scriptId !== req.context.scriptId) {
        throw serviceError("VALIDATION_ERROR", "script_id and context.script_id differ", { field: "context.script_id" });
      }
      checkScriptId(scriptId, req.scriptId ? "script_id" : "context.script_id");
      const stored = scripts.get(scriptId, req.version);
      if (!stored) {
        throw scriptNotFound(scriptId, req.version);
      }
      const over = storedSourceOver(stored, config.maxSourceSize);
      if (over) {
        throw serviceError("CONFIGURATION_ERROR", `script ${scriptId} version ${stored.version}: ${over.message}`, {
          metadata: { key: "max_source_size", script_id: scriptId, size: over.size, limit: config.maxSourceSize },
        });
      }
      const result = await run(ctx, stored.source, { language: stored.language, kind: stored.kind, filename: stored.name || scriptId, cacheKey: stored.cacheKey }, scriptId, stored.version, req.context);
      return { result };
    },

    async runScript(req, ctx) {
      const cc = req.compilation;
      const scriptId = req.context?.scriptId || "adhoc";
      checkScriptId(scriptId, "context.script_id");
      checkName(cc?.name ?? "", "compilation.name");
      const form = compilationOptions(cc, "compilation");
      // compile() checks the source; its cache key spares the run hashing the source again. A new
      // source may wait for a busy compiler: the call's deadline and a cancel end the call then too
      // (its compile is left: its worker drops it unless begun, and a begun one is cached), and so
      // does the server's answer margin before the deadline: TIMEOUT saying it never ran.
      const [compileStart, leftMs, start] = [performance.now(), ctx.timeoutMs(), startWithin(ctx, scriptId)];
      let compiled;
      try {
        compiled = await untilCallEnds(compile(req.source, form, cc?.name || scriptId, scriptId, start.signal), start.signal);
      } catch (err) {
        start.end();
        // Refused while its source waited for a compiler (the engine stops, a full compile queue, its
        // cancel or deadline): an execution that never ran, as one refused in the queue is.
        if (start.signal.aborted || (err instanceof EngineError && (err.reason === "ENGINE_STOPPED" || err.reason === "QUEUE_FULL"))) {
          deps.telemetry?.refused(levelAsked(ctx, req.context));
        }
        // Queued, as far as the caller can tell, and refused as queued executions are.
        if (err instanceof EngineError && err.reason === "ENGINE_STOPPED") {
          throw serviceError("ENGINE_STOPPED", `${err.message.split(";")[0]}; the execution did not start`, { retryAfterMs: err.retryAfterMs ?? 1000, metadata: { script_id: scriptId, started: "false" }, cause: err });
        }
        throw start.failed(err);
      }
      const { cacheKey, cacheHit } = compiled;
      // The compile (a wait for a busy compiler included) is part of its wait and its latency.
      const options = { ...form, filename: cc?.name || "adhoc", cacheKey, compiledCacheHit: cacheHit, waitedBeforeMs: performance.now() - compileStart } as const;
      // A deadline's TIMEOUT names the compile (a wait for a busy compiler) only when it took more of
      // the deadline than the server's answer margin, which its "the call's N ms deadline" leaves out too.
      const compiledMs = cacheHit ? 0 : performance.now() - compileStart;
      const tookDeadline = leftMs !== undefined && compiledMs > leftMs - answerBy(leftMs)!;
      const result = await run(ctx, req.source, options, scriptId, 0, req.context, tookDeadline ? compiledMs : 0, start);
      return { result };
    },

    getScript(req) {
      checkScriptId(req.scriptId, "script_id");
      const stored = scripts.get(req.scriptId, req.version);
      if (!stored) throw scriptNotFound(req.scriptId, req.version);
      return { script: { script: compiledMessage({ ...stored, sourceSize: Buffer.byteLength(stored.source) }, false), createdAt: timestampFromMs(stored.createdAtMs) } };
    },

    listScripts(req) {
      const after = req.pageToken ? decodePageToken<{ after: string }>(req.pageToken) : { after: "" };
      if (!after || typeof after.after !== "string") throw serviceError("VALIDATION_ERROR", "page_token is not valid", { field: "page_token" });
      const size = pageSizeOf(req.pageSize);
      const { page: items, more } = pageWithin(scripts.list(after.after, size + 1), size, listedBytes);
      return {
        scripts: items.map((s) => ({ script: compiledMessage(s, false), createdAt: timestampFromMs(s.createdAtMs) })),
        nextPageToken: more ? encodePageToken({ after: items[items.length - 1].scriptId }) : "",
      };
    },

    deleteScript(req, ctx) {
      const principal = requirePermission(ctx, SCRIPTS_DELETE);
      checkScriptId(req.scriptId, "script_id");
      const { versions, cacheKeys } = scripts.delete(req.scriptId);
      if (versions === 0) throw serviceError("SCRIPT_NOT_FOUND", `script ${req.scriptId} not found`, { metadata: { script_id: req.scriptId } });
      // Its compiled code leaves the cache too (a script with the same source compiles it again).
      for (const key of cacheKeys) engine.invalidate(key);
      deps.log?.info("script deleted", { script_id: req.scriptId, versions, principal: principal.name });
      return { versionsDeleted: versions };
    },
  };
}

