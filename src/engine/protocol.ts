/**
 * IPC between the host (pool/supervisor) and a worker process. `serialization: 'advanced'` so
 * Uint8Array cache data crosses without base64. Guest values never cross as objects: only strings
 * that the worker has already size-capped (output, return JSON, tool arguments).
 */
import type { Diagnostic, ExecutionError, ScriptKind, ScriptLanguage } from './types.ts';
import type { OutputTail } from './output-tail.ts';

export interface WorkerLimits {
  memoryMb: number;
  /** When the worker stops the run (its wall deadline), ms from its start. */
  wallTimeoutMs: number;
  /**
   * The wall-clock limit a timeout names: the script's own (ExecutionLimits.wallTimeoutMs). Absent, it
   * is wallTimeoutMs; set for a run started again, whose wallTimeoutMs is only what was left of it.
   */
  wallLimitMs?: number;
  /** CPU-time budget for the whole run (cpuShare × wall timeout, at most wallTimeoutMs), ms. */
  cpuBudgetMs: number;
  maxOutputBytes: number;
  maxReturnBytes: number;
  /** 0: not checked. */
  maxReturnValueBytes: number;
  maxToolPayloadBytes: number;
  maxToolCalls: number;
}

export interface ExecMsg {
  t: 'exec';
  id: number;
  /** Transformed code when `compiled`, otherwise the raw source to prepare; '' with `codeRef`. */
  code: string;
  /**
   * The worker was sent this cacheKey's code (and cache data) before: it uses its own copy, or
   * answers NeedCodeMsg when it no longer has one.
   */
  codeRef?: boolean;
  compiled: boolean;
  language: ScriptLanguage;
  kind?: ScriptKind;
  /** With `compiled`: the code is compiled at WRAPPED_LINE_OFFSET (a module rewritten as a classic script, or a classic script inside try/catch). */
  wrapped?: boolean;
  filename: string;
  cacheKey: string;
  cachedData?: Uint8Array;
  /** JSON of { args, env, user, tools, executionId, scriptId, caps }. */
  payload: string;
  tools: string[];
  limits: WorkerLimits;
  profile: boolean;
  testHook?: 'segv' | 'abort' | 'hang' | 'oom';
  /**
   * A tool run for an execution running in this worker (another isolate): starts ahead of queued
   * executions and whatever the worker's capacity, once the worker reads it (guest code holding its
   * thread delays that), and says so (BeganMsg).
   */
  nested?: boolean;
}

export interface CompileMsg {
  t: 'compile';
  id: number;
  source: string;
  language: ScriptLanguage;
  kind?: ScriptKind;
  filename: string;
  /** When the host gives up on it (Date.now() time): one still queued in the worker then is not begun. */
  expiresAt?: number;
}

export interface CancelMsg { t: 'cancel'; id: number }
export interface ToolReplyMsg { t: 'toolReply'; id: number; callId: number; envelope: string }
export interface ShutdownMsg { t: 'shutdown' }

/** The memory limit of a worker's compile isolate (CompileMsg), MiB. */
export const COMPILE_MEMORY_MB = 128;
/** What a compile that outgrew it is told: a limit breach, no syntax error. */
export const COMPILE_MEMORY_MESSAGE = `compiling the source exceeded the compiler's memory limit of ${COMPILE_MEMORY_MB} MiB`;

/** The wall-clock limit a timeout of a run with these limits names (WorkerLimits.wallLimitMs). */
export const wallLimitOf = (l: WorkerLimits): number => l.wallLimitMs ?? l.wallTimeoutMs;

export type HostToWorker = ExecMsg | CompileMsg | CancelMsg | ToolReplyMsg | ShutdownMsg;

export interface CompiledInfo {
  code: string;
  kind: ScriptKind;
  /** `code` is compiled at WRAPPED_LINE_OFFSET: a module rewritten as a classic script (module-script.ts) or a classic script inside try/catch (source.ts scriptInTry). */
  wrapped?: boolean;
  diagnostics: Diagnostic[];
  cachedData?: Uint8Array;
}

export interface WorkerOutcome {
  ok: boolean;
  /** JSON text of the return value (already capped); undefined for `undefined`. */
  returnJson?: string;
  /** Its size as a google.protobuf.Value, when measured (limits.maxReturnValueBytes). */
  returnValueBytes?: number;
  stdout: string;
  stderr: string;
  executionTimeMs: number;
  /** Part of executionTimeMs spent preparing and compiling the code (V8 code cache or per-isolate cache on a hit). */
  compileMs?: number;
  error?: ExecutionError;
  /** With a limit's error (time, memory, output, cancel): the end of each stream, for the RPC error. */
  outputTail?: { stdout: OutputTail; stderr: OutputTail };
  memoryBytes: number;
  cpuPercentage: number;
  operationsCount: number;
  isolateId: string;
  cpuProfile?: string;
  /** Tool calls refused for a name not in the run's tools: how many, the first one's message. */
  refusedToolCalls?: { count: number; first: string };
}

export interface ResultMsg { t: 'result'; id: number; outcome: WorkerOutcome; compiled?: CompiledInfo }
export interface CompiledMsg {
  t: 'compiled';
  id: number;
  ok: boolean;
  info?: CompiledInfo;
  /** memoryLimitBytes: the compile ran out of the compile isolate's memory (a limit breach, no syntax error). */
  error?: { message: string; line: number; column: number; memoryLimitBytes?: number };
}
/**
 * The worker begins a compilation (it compiles one at a time): until its CompiledMsg, it may be running
 * in the compile isolate, on a thread of its own, beside a script holding the worker's thread.
 */
export interface CompilingMsg { t: 'compiling'; id: number }
export interface ToolMsg { t: 'tool'; id: number; callId: number; name: string; argsJson: string }
/** Every 500 ms: resident memory, isolates recycled so far, execution isolates held now. */
export interface HeartbeatMsg { t: 'hb'; rss: number; recycles: number; isolates: number }
export interface ReadyMsg { t: 'ready' }
/** A cancelled execution (or tool run) the worker held queued (sent ahead) was dropped unstarted: no result follows. */
export interface DroppedMsg { t: 'dropped'; id: number }

/** An execution sent with `codeRef` whose code this worker no longer holds: send it again, with the code. */
export interface NeedCodeMsg { t: 'needCode'; id: number }

/**
 * A running execution now waits on the host (tools, timers) and holds no thread: the worker can
 * start another one, in another isolate, while it waits. `keptSlot`: the worker's room for parked
 * executions (max_parked) is full, so it waits in its slot and nothing else starts there meanwhile;
 * it holds no thread all the same (said so that the host does not take it for guest code running).
 */
export interface ParkedMsg { t: 'parked'; id: number; keptSlot?: boolean }

/**
 * A parked execution's guest code runs again (`running`: a timer fired, a tool replied) or is done
 * for now. Meanwhile it holds its isolate's thread: should the worker die of that code (deaf to
 * termination, a V8 abort), the host knows whose doing it was. Sent for parked executions only
 * (those that kept their slot included).
 */
export interface ResumedMsg { t: 'resumed'; id: number; running: boolean }

/**
 * The worker begins a tool run (ExecMsg `nested`): until then it sat unread in the pipe (guest code
 * held the thread) or queued, and ran nothing: its host deadline runs from here, not from its send.
 */
export interface BeganMsg { t: 'began'; id: number }

export type WorkerToHost = ResultMsg | CompilingMsg | CompiledMsg | ToolMsg | HeartbeatMsg | ReadyMsg | DroppedMsg | NeedCodeMsg | ParkedMsg | ResumedMsg | BeganMsg;
