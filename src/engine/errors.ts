/**
 * Typed errors of the isolate engine.
 *
 * `EngineError` is a failure of the service itself (not of the script): the API layer maps its
 * stable `reason` to a gRPC status code. A script that throws or breaks a limit is NOT an
 * EngineError: it is a successful call whose `ExecutionOutcome.success` is false.
 *
 *   reason             suggested gRPC code      retryable
 *   QUEUE_FULL         RESOURCE_EXHAUSTED       yes, after retryAfterMs
 *   RESOURCE_EXCEEDED  RESOURCE_EXHAUSTED       yes (per-caller concurrency: resource + limit)
 *   WORKER_CRASHED     UNAVAILABLE              yes
 *   ENGINE_STOPPED     UNAVAILABLE              after start()
 *   TIMEOUT            DEADLINE_EXCEEDED        waited in the queue past the caller's deadline
 *   CANCELLED          CANCELLED                the caller's AbortSignal fired before the job ran
 *   INVALID_ARGUMENT   INVALID_ARGUMENT         no (malformed job, source too large, ...)
 */
import type { CompileResult } from './types.ts';

export type EngineErrorReason =
  | 'QUEUE_FULL'
  | 'RESOURCE_EXCEEDED'
  | 'WORKER_CRASHED'
  | 'ENGINE_STOPPED'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'INVALID_ARGUMENT';

export interface EngineErrorDetails {
  retryAfterMs?: number;
  resource?: string;
  limit?: number;
  workerId?: string;
  /** Refused before it ran (again, for one handed back): nothing of it counts as a run, failed or not. */
  notRun?: boolean;
}

/** The retry delay a WORKER_CRASHED failure suggests (its worker is replaced at once). */
export const WORKER_CRASHED_RETRY_MS = 100;

export class EngineError extends Error {
  readonly reason: EngineErrorReason;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly resource?: string;
  readonly limit?: number;
  readonly workerId?: string;
  readonly notRun: boolean;

  constructor(reason: EngineErrorReason, message: string, details: EngineErrorDetails = {}) {
    super(message);
    this.name = 'EngineError';
    this.reason = reason;
    this.retryable = reason === 'QUEUE_FULL' || reason === 'RESOURCE_EXCEEDED' || reason === 'WORKER_CRASHED';
    // A lost worker is replaced at once: a retry can succeed shortly (the caller's RetryInfo says so).
    this.retryAfterMs = details.retryAfterMs ?? (reason === 'WORKER_CRASHED' ? WORKER_CRASHED_RETRY_MS : undefined);
    this.resource = details.resource;
    this.limit = details.limit;
    this.workerId = details.workerId;
    this.notRun = details.notRun === true;
  }
}

/**
 * A caller that left a compilation of a new source before it ended: its signal aborted (CANCELLED),
 * or the engine began to stop (ENGINE_STOPPED). `compilation` is that compilation's own end (it may
 * be dropped unbegun, compile, or fail), for a caller that still announces its outcome.
 */
export class CompileLeftError extends EngineError {
  readonly compilation: Promise<CompileResult>;

  constructor(reason: 'CANCELLED' | 'ENGINE_STOPPED', message: string, compilation: Promise<CompileResult>, details: EngineErrorDetails = {}) {
    super(reason, message, details);
    this.compilation = compilation;
  }
}

/** A script that does not parse. `line` and `column` are 1-based (0 when unknown). */
export class CompileError extends Error {
  readonly line: number;
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = 'CompileError';
    this.line = line;
    this.column = column;
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError;
}

/** Of a tool name a script asked for, the most its refusal quotes (in the script, the host's messages and events). */
export const MAX_QUOTED_TOOL_NAME = 200;

/**
 * The refusal of a tool the execution was not given. The name is the script's own: quoted as JSON
 * (a quote or a newline in it cannot make the message, or a SecurityViolation's detail, read as
 * something else) and clipped. The prelude words it the same (callTool).
 */
export function toolNotAvailable(name: string): string {
  const shown = name.length > MAX_QUOTED_TOOL_NAME ? `${name.slice(0, MAX_QUOTED_TOOL_NAME)}…` : name;
  return `tool ${JSON.stringify(shown)} is not available to this script`;
}
