/** Public types of the isolate engine (host side). Plain data only: no classes, no enums. */
import type { OutputTail } from './output-tail.ts';

export type ScriptLanguage = 'javascript' | 'typescript';
/** `module`: default export `async function main(args, ctx)`; `expression`: last expression is the value. */
export type ScriptKind = 'module' | 'expression';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface CompileOptions {
  language?: ScriptLanguage;
  /** Undefined: detected from the source (a top-level `export`/`import` makes it a module). */
  kind?: ScriptKind;
  /** Used as the file name in stack traces (reduced to a safe base name). */
  filename?: string;
}

export interface Diagnostic {
  severity: 'info' | 'warning' | 'error';
  message: string;
  line: number;
  column: number;
}

export interface CompileResult {
  kind: ScriptKind;
  language: ScriptLanguage;
  diagnostics: Diagnostic[];
  /** Hex SHA-256 of the source text. */
  sourceHash: string;
  /** Compile-cache key (source hash + compile options); pass it to `invalidate()` when a script version is replaced. */
  cacheKey: string;
  /** True when the compile cache already held this source: nothing was parsed or compiled. */
  cacheHit: boolean;
  compileTimeMs: number;
  sourceSize: number;
}

/** Limits already resolved by the caller (security level ∩ config ∩ request). The engine enforces them. */
export interface ExecutionLimits {
  /** Isolate heap limit in bytes (also caps ArrayBuffer memory). Rounded up to whole MiB, minimum 8 MiB. */
  memoryBytes: number;
  /** Wall-clock limit for the whole execution, tool calls included. */
  wallTimeoutMs: number;
  /**
   * CPU share in percent of one core (e.g. 50). Enforced as a CPU-time budget: the isolate may burn at
   * most cpuShare% × wallTimeoutMs of CPU (the wall limit in force, a call's deadline included);
   * reported as usage.cpuPercentage. Undefined/100: no extra cap.
   */
  cpuShare?: number;
  /** Cap of stdout and of stderr, each, in UTF-8 bytes. Beyond it the stream ends with a truncation marker. */
  maxOutputBytes: number;
  /** Cap of the JSON text of the return value, in UTF-8 bytes. Beyond it: error kind output_limit. */
  maxReturnBytes: number;
  /**
   * Cap of the return value encoded as a google.protobuf.Value (a number costs ~6x its JSON), checked
   * in the worker, off the server's event loop. Unset: not checked (tool runs return JSON).
   */
  maxReturnValueBytes?: number;
  /** Tool names the script may call (already intersected with the caller's permissions). */
  tools: string[];
  /** Cap of a tool call's JSON arguments and of its JSON result, in bytes (default 1 MiB). */
  maxToolPayloadBytes?: number;
  /** Per tool call timeout (it still counts against wallTimeoutMs). */
  toolTimeoutMs?: number;
  /** Maximum number of tool calls in one execution (default 1000). */
  maxToolCalls?: number;
}

export interface ToolCallInfo {
  /** The calling run: its execution id and a run number, unique among running executions. */
  executionId: string;
  scriptId?: string;
  signal: AbortSignal;
  /**
   * How long this call may take: the tighter of the tool timeout and the caller's remaining wall
   * time less a margin (to catch the tool's error). The host stops waiting then; a tool that runs
   * guest code of its own must stop by then too.
   */
  timeoutMs: number;
  /** True when the caller's remaining time, not the tool timeout, is what set timeoutMs. */
  byCaller: boolean;
  /** A tool that does I/O reports it here; it is summed into usage.networkIoBytes / fileIoBytes. */
  reportIo: (networkBytes: number, fileBytes: number) => void;
}

/**
 * The host's tools bridge. Receives a JSON copy of the arguments; returns a JSON-serialisable value
 * (JSON.stringify'd, size-capped, copied into the isolate). A thrown error's message reaches the
 * script as a ToolError; one carrying `kind: 'security_violation'` (the tool refused on security
 * grounds: a host off the allow-list, a path outside the working directory) as a SecurityError,
 * which, left uncaught, ends the execution with kind security_violation.
 */
/** `args` is undefined when the script passed none (`ctx.tools.x()`), null when it passed null. */
export type ToolCallback = (name: string, args: JsonValue | undefined, info: ToolCallInfo) => Promise<unknown>;

/**
 * How many executions (running + queued) a caller (`key`) may have: at most `limit` at the job's
 * `level` (no level: in all), and at most `total.limit` in all, whatever their levels. A caller's
 * work at one level then never takes the room its caps leave it at another.
 */
export interface CallerSlots {
  key: string;
  limit: number;
  /** Which cap `limit` is, for the refusal's message. */
  limitName?: string;
  /** The level the job runs at: counted with the caller's other executions at that level. */
  level?: string;
  /** The cap on the caller's executions at all levels together (its principal's own), and which it is. */
  total?: { limit: number; name: string };
}

export interface ExecuteJob {
  /** Source text (JavaScript or TypeScript). Always required: the compile cache is keyed by its hash. */
  source: string;
  language?: ScriptLanguage;
  kind?: ScriptKind;
  filename?: string;
  /**
   * Optional: the cacheKey compile() returned for this same source (a stored script keeps it).
   * Trusted as is, which saves hashing the source on every run; omit it for ad-hoc source.
   */
  cacheKey?: string;
  /**
   * Set when compile() looked this source up for this very execution (an ad-hoc run): whether it
   * found it compiled. That lookup was the one counted; the run's own is not counted again.
   */
  compiledCacheHit?: boolean;
  /** A script's arguments (an object), or what a script passed its registered tool (any JSON value, null included). Left out: {}. */
  arguments?: JsonValue;
  env?: Record<string, string>;
  user?: JsonObject;
  limits: ExecutionLimits;
  executionId?: string;
  scriptId?: string;
  collectCpuProfile?: boolean;
  onToolCall?: ToolCallback;
  /**
   * How long the caller already waited for this execution before asking (RunScript: its new source's
   * wait for a compiler, and the compile): counted in its queue wait and in the latencies.
   */
  waitedBeforeMs?: number;
  /** Called when the job leaves the queue for a worker (tracing: ends the queue wait, starts the run). */
  onDispatch?: (info: { queueWaitMs: number; cacheHit: boolean; workerId: string }) => void;
  /**
   * Set when this job runs on behalf of a running execution (a registered tool called through
   * ctx.tools): it starts at once on that execution's worker, in another isolate, bypassing the
   * queue and the caller's concurrency (the parent already holds a slot), so executions waiting on
   * tools can never starve the pool.
   */
  parentExecutionId?: string;
  /** Per-caller concurrency: the caller's executions (running + queued) its caps allow. */
  caller?: CallerSlots;
  /**
   * Not one of the executions the engine's figures count (total, success, latency): a registered
   * tool's run inside an execution, or the engine's own work such as a migration's smoke run.
   */
  notCounted?: boolean;
  /** Test-only: crash or hang the worker that takes this job. Ignored unless EngineOptions.enableTestHooks. */
  testHook?: 'segv' | 'abort' | 'hang' | 'oom';
}

export type ExecutionErrorKind =
  | 'script_threw'
  | 'timeout'
  | 'memory_limit'
  | 'output_limit'
  | 'invalid_return_value'
  | 'tool_error'
  | 'security_violation'
  | 'cancelled'
  | 'worker_crashed';

export interface ExecutionError extends ErrorCause {
  kind: ExecutionErrorKind;
  /** A timeout's limit: the CPU-time budget (cpuShare × wall timeout) or the wall clock. */
  limit?: TimeLimit;
  /** What the thrown error's cause chain (new Error(m, { cause })) held, nearest first; absent when none. */
  causes?: ErrorCause[];
  /** An AggregateError's errors (Promise.any's rejections), its first 8; absent when none. */
  errors?: ErrorCause[];
  /**
   * The breach was a registered tool's run that took the worker down (the script's outcome all the
   * same): its name and the limit it exceeded (bytes for memory_limit, ms for a timeout), not the script's.
   */
  tool?: { name: string; limit: number };
  /**
   * A timeout the host answered at the script's wall limit while another execution held its
   * single-isolate worker's thread (pool.ts heldPastLimitOutcome): its time ran out waiting, through
   * no doing of its own, so it is no breach to announce.
   */
  heldByAnother?: true;
}

/** A thrown value, or one of its causes, as the caller is told it. */
export interface ErrorCause {
  name: string;
  message: string;
  /** Script frames only; host frames are removed. */
  stack: string;
  line: number;
  column: number;
}

export type TimeLimit = 'cpu_time' | 'wall_clock';

export interface ResourceUsage {
  /** Isolate heap in use at the end of the run (V8 heap statistics), plus external (ArrayBuffer) memory. */
  memoryBytes: number;
  /** Isolate CPU time / wall time of the run, percent (0-100). */
  cpuPercentage: number;
  /** Host calls the script made (console calls, tool calls, timers). */
  operationsCount: number;
  networkIoBytes: number;
  fileIoBytes: number;
}

export interface ExecutionMetadata {
  cacheHit: boolean;
  isolateId: string;
  workerId: string;
  queueWaitMs: number;
  /** Time the worker spent preparing and compiling the code (part of executionTimeMs). */
  compileMs?: number;
}

export interface ExecutionOutcome {
  executionId: string;
  success: boolean;
  /** The JSON value returned; undefined when the script returned undefined or failed. */
  returnValue: JsonValue | undefined;
  /** Its size as a google.protobuf.Value, when the worker measured it (maxReturnValueBytes). */
  returnValueBytes?: number;
  stdout: string;
  stderr: string;
  /** Wall-clock time of the run inside the worker (compile + run), ms. */
  executionTimeMs: number;
  error?: ExecutionError;
  /** With a limit's error, when the worker still had the run's output: the end of each stream. */
  outputTail?: { stdout: OutputTail; stderr: OutputTail };
  usage: ResourceUsage;
  metadata: ExecutionMetadata;
  /** Chrome DevTools .cpuprofile JSON when collectCpuProfile was set. */
  cpuProfile?: string;
  /** Tool calls the worker refused itself (a name not in the execution's tools): how many, the first one's message. */
  refusedToolCalls?: { count: number; first: string };
}

export interface EngineOptions {
  /** Worker processes (default: os.availableParallelism()). */
  workers?: number;
  /** Isolates per worker = concurrent executions per worker (default 1). */
  isolatesPerWorker?: number;
  /** Executions allowed to wait for an isolate (default 1000). Beyond: QUEUE_FULL. */
  maxQueue?: number;
  /** Compile cache entries (default 1000). */
  maxCacheSize?: number;
  /** Compile cache bytes (code + V8 cache data), default 256 MiB. */
  maxCacheBytes?: number;
  /**
   * With every worker busy, send up to two of a caller's executions ahead to a single-isolate worker
   * running a short execution of the same caller (`ExecuteJob.caller`; jobs without one are never
   * sent ahead), queued there so it starts without waiting for the host's round trip (default
   * true). See pool.ts for the rules.
   */
  sendAhead?: boolean;
  /** What "short" means for sending ahead: recent runs and the current run so far under this (default 5 ms). */
  sendAheadExpectedMs?: number;
  /**
   * Executions a single-isolate worker may hold parked (waiting on tools or timers, each in an
   * isolate of its own) while it runs others (default 8; 0: an execution holds its worker until it
   * ends). The memory limits of all those isolates must also fit together in 3/4 of
   * `workerRssBudgetBytes`. A registered tool's runs for an execution (`parentExecutionId`) count in
   * neither: they are bounded by their caller's fan-out (see pool.ts hasRoom).
   */
  maxParkedPerWorker?: number;
  /** How long a worker keeps an extra isolate (made for a parked execution) idle before disposing it (default 30 s). */
  idleSlotMs?: number;
  /** Recycle an isolate after this many executions (default 500). */
  recycleAfterExecutions?: number;
  /** Compiled code each worker keeps by cache key, so it crosses once (default 64 MiB). */
  workerCodeCacheBytes?: number;
  /** Kill a worker whose resident memory exceeds this (default 1 GiB). */
  workerRssBudgetBytes?: number;
  /** `--max-old-space-size` of worker processes in MiB (default 256: isolates have their own heaps). */
  workerMaxOldSpaceMb?: number;
  /**
   * Kill an idle worker that sent no heartbeat for this long (default 5000 ms; one still starting
   * gets 30 s at least), or one this long past an execution's deadline however little CPU it used.
   */
  heartbeatTimeoutMs?: number;
  /** Worker failures count toward `EngineStats.recentWorkerFailures` for this long (default 60 000 ms). */
  failureWindowMs?: number;
  /**
   * A caller (`ExecuteJob.caller.key`) whose executions were blamed for this many worker
   * replacements within `workerKillWindowMs` has its new executions refused (RESOURCE_EXCEEDED,
   * resource `worker_replacements`) until the oldest leaves the window; those already queued or
   * running go on, and so do tool runs of running ones (default 0: no limit). Compilations carry no
   * caller: one that takes its worker down counts against no one.
   */
  maxWorkerKillsPerCaller?: number;
  /** The sliding window of `maxWorkerKillsPerCaller` (default 60 000 ms). */
  workerKillWindowMs?: number;
  /** Told once when a caller reaches `maxWorkerKillsPerCaller` (for the operator's log), not per refused call. */
  onCallerRefused?: (event: { caller: string; kills: number; windowMs: number; refusedForMs: number }) => void;
  /**
   * Kill a worker whose execution overran its wall deadline by this much without answering (default
   * 2000 ms), once it has had half of it on the CPU since (one the machine held off it is not hung).
   */
  hangGraceMs?: number;
  /** A compilation not answered within this fails TIMEOUT (default 30 000 ms): it may wait behind guest code. */
  compileTimeoutMs?: number;
  /** Largest accepted source, bytes (default 1 MiB). */
  maxSourceBytes?: number;
  /** Memory limit of the warm isolates created ahead of time (default 50 MiB, the Safe level); a job with another limit gets its isolate replaced. */
  defaultMemoryBytes?: number;
  /** Allow test-only hooks (crash a worker from a job). Never enable in production. */
  enableTestHooks?: boolean;
  /** Told when a worker process ends (for the operator's log): why, and what became of what it held. */
  onWorkerExit?: (event: WorkerExit) => void;
  /** Told each line a worker writes to its stderr (V8's out-of-memory report, its last words), for the log. */
  onWorkerStderr?: (workerId: string, line: string) => void;
}

/** A worker process ended: killed (hung, over its memory budget), crashed, or shut down. */
export interface WorkerExit {
  workerId: string;
  pid: number | undefined;
  reason: string;
  /** Executions that failed with WORKER_CRASHED (retryable): they were only its neighbours. */
  failed: number;
  /** Executions that took it down, each answered with its own limit breach. */
  blamed: { executionId: string; kind: string }[];
  /** Executions it held unstarted, queued again. */
  requeued: number;
  /** Executions it had started, run again from scratch: another one took it down, and they had made no tool call. */
  rerun: number;
  /** A compilation took it down (its compile isolate ran out of memory), answered with that breach. */
  blamedCompile?: true;
}

export interface EngineStats {
  state: 'stopped' | 'starting' | 'running' | 'stopping';
  executionsTotal: number;
  executionsSucceeded: number;
  executionsFailed: number;
  /** Executions refused before they ran (queue full, per-caller limit, worker-kill breaker) — not counted in executionsTotal. */
  rejected: number;
  /** Compilations of new sources refused for a full compile queue. */
  compilesRejected: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  averageExecutionMs: number;
  /** The callers' executions running now (a registered tool's run inside one is its caller's). */
  active: number;
  queueLength: number;
  /** Compilations of new sources in flight that a caller waits for (at most max_queue, at least 1). */
  compilesInFlight: number;
  /** Compilations in flight whose callers all left (cancelled, deadline): dropped by their worker unless begun. */
  compilesAbandoned: number;
  /** A new source would be refused now (QUEUE_FULL, resource compile_queue). */
  compileQueueFull: boolean;
  poolSize: number;
  busyIsolates: number;
  /** No worker has room for one more execution now (all running, or holding as many parked as they may). */
  poolFull: boolean;
  /** Of busyIsolates, those parked (waiting on a tool or a timer, holding no thread): busy minus these run now. */
  parkedExecutions: number;
  workers: number;
  isolateRecycles: number;
  workerRestarts: number;
  cacheSize: number;
  cacheHits: number;
  cacheMisses: number;
  compilations: number;
  /** Resident memory of the worker processes (last reading), bytes. */
  workersRssBytes: number;
  /** CPU the worker processes have used since the engine started (replaced ones included), in ms; read every 250 ms. */
  workersCpuMs: number;
  /** Recent worker failures (crash/hang/RSS kill) in the last minute; not those a script caused by breaching its own limit. */
  recentWorkerFailures: number;
  /** Executions sent ahead to a busy single-isolate worker (queued there behind a short one). */
  sentAhead: number;
  /** Of those, handed back unstarted because their worker died, and queued again. */
  handedBack: number;
  /** Executions sent with their script's cache key only (the worker kept the code from before). */
  codeByReference: number;
  /** Of those, sent again with the code because the worker no longer had it. */
  codeResent: number;
  uptimeMs: number;
}

export interface WorkerInfo {
  workerId: string;
  pid: number | undefined;
  busy: number;
  capacity: number;
  rssBytes: number;
  /** Isolates it holds for executions (more than `capacity` while some are parked), as of its last heartbeat. */
  isolates: number;
}
