/**
 * The engine the API layer calls: a pool of supervised worker processes with a bounded queue in
 * front, per-caller concurrency limits, cancellation, and the compile cache.
 *
 * Compile cache design. The cache lives in the HOST, in one `lru-cache` (maxCacheSize entries, and
 * maxCacheBytes), keyed by sha256(source) + language + requested kind. An entry holds what makes a
 * cached script skip work: the prepared code (TypeScript already stripped, kind already detected,
 * diagnostics) and, for expression scripts, V8 code-cache data produced by
 * `compileScript({produceCachedData:true})`. On execute the host sends the entry along, so any worker
 * can use it (workers are replaceable and hold no authoritative state); a worker also keeps a small
 * per-isolate map of compiled `ivm.Script`s so a warm isolate skips even the code-cache deserialisation
 * (none with maxCacheSize 0: then every run compiles).
 * Modules: V8 code cache data for modules is not faster with isolated-vm (measured), so for modules the
 * cache holds the prepared code and V8's own per-isolate compilation cache does the rest.
 * `compile()` of a cached source answers from the host without touching a worker. `invalidate(key)`
 * drops an entry (re-compiling a script id makes a new version).
 */
import { availableParallelism } from 'node:os';
import { LRUCache } from 'lru-cache';
import { CompileError, CompileLeftError, EngineError, toolNotAvailable } from './errors.ts';
import { cacheKeyOf, safeFilename, sourceHash } from './source.ts';
import { ROOM_SHARE, WorkerHandle } from './supervisor.ts';
import { cpuBudgetMs, cpuShareOfDeadline } from './cpu-budget.ts';
import { mayHoldLoneSurrogates, wellFormedError, wellFormedJson, wellFormedTail } from './well-formed-json.ts';
import { wallLimitOf, type CompiledInfo, type ExecMsg, type ResultMsg, type ToolMsg, type WorkerLimits } from './protocol.ts';
import type {
  CallerSlots, CompileOptions, CompileResult, EngineOptions, EngineStats, ExecuteJob, ExecutionLimits, ExecutionOutcome,
  JsonValue, ScriptLanguage, WorkerInfo,
} from './types.ts';

export interface Engine {
  start(): Promise<void>;
  /**
   * Stops the workers. What still runs fails with a retryable ENGINE_STOPPED; the workers finish
   * what holds their thread first (up to 2 s), or, `now` (the grace was already waited), at once.
   */
  close(options?: { now?: boolean }): Promise<void>;
  /**
   * Shutdown or Stop has begun: executions still queued fail at once with a retryable
   * ENGINE_STOPPED (they would only be cut off at the end of the grace, and their callers can go
   * elsewhere), and so do later ones (calls already past the API's check when it began), except
   * tool runs of a running execution; running ones go on. Callers waiting for the compilation of a
   * new source are refused alike (a CompileLeftError), and later ones that need a compiler. The
   * engine takes work again once closed and started.
   */
  refuseQueued(): void;
  /** Resolves true once no execution or compilation is running, or false after `maxMs`. */
  idle(maxMs: number): Promise<boolean>;
  /**
   * `signal`: the caller's end (a cancel, its deadline). A compilation every caller of which has
   * gone no longer counts against max_queue (see compileNew) and is dropped by its worker if it has
   * not begun there. A caller that leaves fails with a CompileLeftError, whose `compilation` ends
   * when the compilation does.
   */
  compile(source: string, options?: CompileOptions, signal?: AbortSignal): Promise<CompileResult>;
  execute(job: ExecuteJob, signal?: AbortSignal): Promise<ExecutionOutcome>;
  /** Drops a compile-cache entry; true when it existed. */
  invalidate(cacheKey: string): boolean;
  stats(): EngineStats;
  workers(): WorkerInfo[];
}

interface CacheEntry extends CompiledInfo { language: ScriptLanguage }

/** An execution running on a worker (host clock): its script's cache key, its caller, and when its wall limit ends it. */
interface Running { since: number; key: string; caller: string | undefined; level: string | undefined; endBy: number }

/** A compilation of a new source in flight, shared by the callers of that source meanwhile. */
interface InFlightCompile {
  result: Promise<CompileResult>;
  /** Callers waiting on it; one with no signal leaves only when the engine stops (refuseQueued). */
  waiting: number;
  /** Each waiting caller's way out: it fails with the error given, and leaves. */
  leavers: Set<(e: CompileLeftError) => void>;
  /** Every caller left: counted in compilesAbandoned, no longer in compilesInFlight. */
  abandoned: boolean;
  done: boolean;
  /** Where its current attempt was sent, to cancel it there. */
  sentTo?: { w: WorkerHandle; id: number };
  key: string;
}

interface Queued {
  job: ExecuteJob;
  signal?: AbortSignal;
  enqueuedAt: number;
  resolve: (o: ExecutionOutcome) => void;
  reject: (e: Error) => void;
  onAbort?: () => void;
  /** Times a later job that fits a free worker's isolate went first (see pump). */
  passedOver?: number;
  /** Its id, kept when it runs again. */
  executionId?: string;
  /**
   * Set when it runs again (its worker died of another execution's doing): it must end by the first
   * run's wall deadline (performance.now()), the caller's time, and is not run a third time.
   */
  rerun?: { deadlineAt: number; workerId: string };
  /** Its compile-cache lookup was counted: dispatched again (run again, handed back), it is still one execution. */
  lookedUp?: boolean;
  /** A tool run that waited for its worker's thread (holdToolRun): its time counts from its call. */
  heldToolRun?: true;
}

const MiB = 1048576;
/**
 * A worker whose isolate has another memory limit than the job at the head of the queue takes a
 * job that fits it from this many places back instead; a job is passed over this often at most.
 */
const FIT_LOOKAHEAD = 16;
const MAX_PASSED_OVER = 4;
/** Default of EngineOptions.maxParkedPerWorker. */
const MAX_PARKED = 8;

/**
 * The memory limit, in MiB, of the isolate an execution with these limits runs in: isolates take whole
 * MiB, and a limit between two is rounded down (a cap never grows), to the engine's floor of 8 MiB.
 */
const memoryMbOf = (l: ExecutionLimits): number => Math.max(8, Math.floor(l.memoryBytes / MiB));
/** Abort reason for an execution's tool calls once it has finished (no DOMException per run). */
const EXECUTION_DONE = Object.freeze(new Error('the execution has finished'));
const EXECUTION_CANCELLED = Object.freeze(new Error('the execution was cancelled'));
/** Least time an execution must have left to be run again after a neighbour took its worker down. */
const RERUN_MIN_MS = 250;
/**
 * How long a cancelled execution may take to stop (the caller hears at the latest then) before its
 * worker is replaced, if the worker ran on meanwhile (WorkerHandle.ranOn); checked this often after.
 */
const CANCEL_GRACE_MS = 250;
const CANCEL_RECHECK_MS = 100;
/**
 * How long past its wall limit an execution parked behind another's guest code on a single-isolate
 * worker (WorkerHandle.heldBehind) waits for the worker's own answer before the host answers it.
 */
const HELD_PAST_LIMIT_GRACE_MS = 250;
/**
 * A tool call bounded by its caller's wall time ends this much before it (half the time left, at
 * most): the caller still has time to catch the tool's error, not its own timeout. A tenth (at most
 * 250 ms) was too little on a loaded machine, where the worker resumed the caller up to ~200 ms
 * after the host's timer: the caller then timed out itself.
 */
const TOOL_CALLER_MARGIN_MS = 500;
/** How long a worker may take to start (say it is ready) before it is taken for hung, if the heartbeat timeout is shorter. */
const START_TIMEOUT_MS = 30_000;
/**
 * Sending ahead. With every worker busy, a single-isolate worker may hold up to AHEAD_DEPTH - 1
 * executions queued behind the one it runs, so it starts the next as soon as it has sent a result
 * instead of idling for the host's round trip (and the host and worker handle messages in batches).
 * A queued one cannot be taken back while guest code holds the worker's thread, so it waits for
 * those in front however long they run; hence the rules: only behind executions of the SAME caller
 * (a caller can only delay itself; jobs without a caller, the engine's own, are never sent ahead),
 * expected to be short (the running script's recent executions took under the threshold; an
 * unknown script is not expected short), running for under the threshold so far. A queued one that
 * is cancelled fails at once (the worker drops it unstarted); one whose worker dies never ran and
 * goes back to the head of the queue.
 */
const AHEAD_EXPECTED_MS = 5; // default of EngineOptions.sendAheadExpectedMs
/** Executions a single-isolate worker may hold: the running one and those sent ahead behind it. */
const AHEAD_DEPTH = 3;
const EXPECTED_KEYS = 4096;
/** A script not seen to end yet is expected to take this fraction (1/n) of its wall limit. */
const UNSEEN_WALL_SHARE = 10;
/** The perCallerLevel key of a caller's executions at its job's level. */
const callerLevelKey = (caller: CallerSlots) => `${caller.level}\0${caller.key}`;
/** Callers the worker-kill breaker tracks at most (principals come from the configuration: bounded anyway). */
const KILL_CALLERS = 10_000;

/** An execution's tool calls (handleTool): I/O they reported, how many it made, and those at the host now (call id → tool). */
interface ToolIo { net: number; file: number; calls: number; running: Map<number, string> }

/**
 * `stderr` with a line per tool still running at the host when the script ended (`ok`: it returned),
 * which its end stops (a spinning tool run stopped so may cost its worker, and its caller a strike):
 * a forgotten await is told, not only felt. Only when the lines fit `maxBytes` with what is there.
 */
function withStoppedToolCalls(stderr: string, running: ReadonlyMap<number, string>, ok: boolean, maxBytes: number): string {
  if (running.size === 0) return stderr;
  const calls = new Map<string, number>();
  for (const name of running.values()) calls.set(name, (calls.get(name) ?? 0) + 1);
  const when = ok ? 'returned' : 'ended';
  const lines = [...calls].map(([name, n]) => `${n === 1 ? 'tool call' : `${n} tool calls`} "${name}" still running when the script ${when}: stopped\n`).join('');
  const text = stderr === '' || stderr.endsWith('\n') ? stderr + lines : `${stderr}\n${lines}`;
  return Buffer.byteLength(text) <= maxBytes ? text : stderr;
}

function cancelledOutcome(executionId: string, workerId: string, queueWaitMs: number, cacheHit: boolean, ms: number): ExecutionOutcome {
  return {
    executionId, success: false, returnValue: undefined, stdout: '', stderr: '', executionTimeMs: ms,
    error: { kind: 'cancelled', name: 'CancelledError', message: 'the execution was cancelled', stack: '', line: 0, column: 0 },
    usage: { memoryBytes: 0, cpuPercentage: 0, operationsCount: 0, networkIoBytes: 0, fileIoBytes: 0 },
    metadata: { cacheHit, isolateId: '', workerId, queueWaitMs },
  };
}

/**
 * The TIMEOUT of an execution the host answered at its wall limit: parked, it waited behind another
 * execution holding its worker's thread, so the worker could neither stop it nor send what it printed.
 */
function heldPastLimitOutcome(executionId: string, workerId: string, queueWaitMs: number, cacheHit: boolean, ms: number, limitMs: number): ExecutionOutcome {
  return {
    executionId, success: false, returnValue: undefined, stdout: '', stderr: '', executionTimeMs: ms,
    error: {
      kind: 'timeout', name: 'TimeoutError', limit: 'wall_clock', stack: '', line: 0, column: 0, heldByAnother: true,
      message: `the script exceeded its wall-clock limit of ${limitMs} ms (its worker's thread was held by another execution when its time ran out; its output could not be collected)`,
    },
    usage: { memoryBytes: 0, cpuPercentage: 0, operationsCount: 0, networkIoBytes: 0, fileIoBytes: 0 },
    metadata: { cacheHit, isolateId: '', workerId, queueWaitMs },
  };
}

/** The p-th percentile of sorted values by nearest rank: the smallest value with p % at or below it. */
/** Attempts at one compilation when its worker is replaced under it. */
const MAX_COMPILE_ATTEMPTS = 4;

export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function createEngine(options: EngineOptions = {}): Engine {
  const o = {
    workers: Math.max(1, options.workers ?? availableParallelism()),
    isolatesPerWorker: Math.max(1, options.isolatesPerWorker ?? 1),
    maxQueue: Math.max(0, options.maxQueue ?? 1000),
    maxCacheSize: Math.max(0, options.maxCacheSize ?? 1000),
    maxCacheBytes: Math.max(MiB, options.maxCacheBytes ?? 256 * MiB),
    recycleAfter: Math.max(1, options.recycleAfterExecutions ?? 500),
    sendAhead: options.sendAhead !== false,
    maxParked: Math.max(0, options.maxParkedPerWorker ?? MAX_PARKED),
    idleSlotMs: Math.max(0, options.idleSlotMs ?? 30_000),
    aheadExpectedMs: Math.max(0, options.sendAheadExpectedMs ?? AHEAD_EXPECTED_MS),
    codeCacheBytes: Math.max(0, options.workerCodeCacheBytes ?? 64 * MiB),
    rssBudget: options.workerRssBudgetBytes ?? 1024 * MiB,
    maxOldSpaceMb: options.workerMaxOldSpaceMb ?? 256,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 5000,
    failureWindowMs: Math.max(1, options.failureWindowMs ?? 60_000),
    maxKills: Math.max(0, options.maxWorkerKillsPerCaller ?? 0),
    killWindowMs: Math.max(1, options.workerKillWindowMs ?? 60_000),
    hangGraceMs: options.hangGraceMs ?? 2000,
    compileTimeoutMs: Math.max(1, options.compileTimeoutMs ?? 30_000),
    maxSourceBytes: options.maxSourceBytes ?? MiB,
    testHooks: options.enableTestHooks === true,
    defaultMemoryMb: Math.max(8, Math.ceil((options.defaultMemoryBytes ?? 50 * MiB) / MiB)),
  };

  /** An execution refused or handed back unstarted while the engine stops (retryable). */
  const notStarted = () => new EngineError('ENGINE_STOPPED', 'the engine is stopping; the execution did not start', { retryAfterMs: 1000, notRun: true });
  /** A caller of a compilation refused while the engine stops (retryable): it is not an execution. */
  const compileRefused = (compilation: Promise<CompileResult>) =>
    new CompileLeftError('ENGINE_STOPPED', 'the engine is stopping; the compilation was given up', compilation, { retryAfterMs: 1000 });

  let state: EngineStats['state'] = 'stopped';
  /** Set by refuseQueued(): new executions are refused until start() spawns the engine anew (after close). */
  let refusing = false;
  let startedAt = 0;
  let workerSeq = 0;
  let msgSeq = 0;
  let rr = 0;
  const pool: WorkerHandle[] = [];
  const queue: Queued[] = [];
  /** Each caller's executions (running + queued): in all, and at each level (callerLevelKey). */
  const perCaller = new Map<string, number>();
  const perCallerLevel = new Map<string, number>();
  /** Compilations in flight that a caller waits for: at most max_queue (at least 1). */
  let compilesInFlight = 0;
  /**
   * Compilations in flight whose callers all left: their worker drops them unstarted (or, begun,
   * finishes them; the result is cached). They no longer take a waiting caller's room, but occupy
   * the host's memory and the worker's pipe until the worker answers (behind a long synchronous
   * script, once it ends), so, with those waited for, they are at most twice max_queue.
   */
  let compilesAbandoned = 0;
  const maxCompiles = Math.max(1, o.maxQueue);
  /** A compilation of a new source would be refused now. */
  const compileQueueFull = () => compilesInFlight >= maxCompiles || compilesInFlight + compilesAbandoned >= 2 * maxCompiles;
  /** Waiting for idle(): woken when the last execution or compilation ends. */
  const idleWaiters: (() => void)[] = [];
  const compiling = new Map<string, InFlightCompile>();
  /** The worker of each running execution, so tool runs on its behalf can join it. */
  const runningOn = new Map<string, WorkerHandle>();
  /**
   * Each running execution's message id there, and the caller its worker replacements strike: its
   * tool runs name the one to their worker's supervision (blame) and strike the other, the caller's
   * (a tool run has no caller of its own, and may outlive the execution that made it).
   */
  const runIds = new Map<string, { msgId: number; strikeKey?: string }>();
  /**
   * Tool runs waiting for a single-isolate worker's thread, in call order (see holdToolRun). Such a
   * worker runs guest code on its one thread, synchronously: the tool runs sent to it ran one after
   * another there, each with its full limits from when it began, so a script's eighth call of a tool
   * spinning to its limits began long after the call's time was up, past the host deadline the host
   * counted from when it sent it: the worker was taken for hung and replaced.
   */
  const heldToolRuns = new Map<WorkerHandle, Queued[]>();
  let watchdog: NodeJS.Timeout | undefined;
  const failures: number[] = [];
  const latencies: number[] = [];
  let latencyPos = 0;
  const c = {
    total: 0, ok: 0, failed: 0, rejected: 0, compilesRejected: 0, active: 0, workerRestarts: 0, recyclesOfDead: 0, cpuMsOfDead: 0,
    cacheHits: 0, cacheMisses: 0, compilations: 0, execTimeSum: 0, sentAhead: 0, handedBack: 0,
    // Executions that ran to a result, whose time execTimeSum holds (total also counts those that failed without one).
    timed: 0,
    codeByReference: 0, codeResent: 0,
    // Of active, the callers' own executions (stats().active): not a registered tool's run inside one,
    // nor the engine's own work, as executionsTotal counts them.
    activeCounted: 0,
  };

  /** Recent execution time per cache key (moving average, ms): what sending ahead relies on. */
  const expected = new Map<string, number>();
  /** Each worker's current execution. */
  const current = new Map<WorkerHandle, Running>();
  /** The callers' executions running now (parked ones too; not a registered tool's run inside one). */
  const runningNow = new Set<Running>();

  /**
   * The worker-kill breaker (maxKills). A caller looping scripts that take their worker down (deaf
   * to the time limit, or exhausting their heap) would otherwise do so several times a second, each
   * time failing or re-running the other executions there and cutting capacity while it restarts.
   * Per caller, when each replacement blamed on one of its executions happened (Date.now()), oldest
   * first, at most maxKills of them; callers least recently struck go first past KILL_CALLERS.
   */
  const kills = new Map<string, number[]>();
  /** A dead worker's culprits (execution ids), read when each one's answer arrives. */
  const blamedOn = new WeakMap<WorkerHandle, Set<string>>();
  /** The callers a dead worker has struck already: one strike a replacement, per caller. */
  const struckBy = new WeakMap<WorkerHandle, Set<string>>();
  const firstStrikeOn = (w: WorkerHandle, caller: string): boolean => {
    let struck = struckBy.get(w);
    if (!struck) struckBy.set(w, struck = new Set());
    if (struck.has(caller)) return false;
    struck.add(caller);
    return true;
  };

  /** The caller's strikes still inside the window (expired ones dropped), or undefined if none. */
  function strikesOf(caller: string, now: number): number[] | undefined {
    const times = kills.get(caller);
    if (!times) return undefined;
    while (times.length > 0 && times[0]! <= now - o.killWindowMs) times.shift();
    if (times.length === 0) kills.delete(caller);
    return times.length > 0 ? times : undefined;
  }

  function noteKill(caller: string): void {
    const now = Date.now();
    const times = strikesOf(caller, now) ?? [];
    const wasRefused = times.length >= o.maxKills;
    times.push(now);
    if (times.length > o.maxKills) times.shift();
    kills.delete(caller);
    kills.set(caller, times);
    if (kills.size > KILL_CALLERS) kills.delete(kills.keys().next().value!);
    if (wasRefused || times.length < o.maxKills) return;
    try {
      options.onCallerRefused?.({ caller, kills: times.length, windowMs: o.killWindowMs, refusedForMs: times[0]! + o.killWindowMs - now });
    } catch { /* a listener never breaks the pool */ }
  }

  /** The refusal of a caller's new work while it is at maxKills within the window. */
  function killRefusal(caller: string | undefined): EngineError | undefined {
    if (caller === undefined || o.maxKills === 0) return undefined;
    const now = Date.now();
    const times = strikesOf(caller, now);
    if (!times || times.length < o.maxKills) return undefined;
    // Until its oldest strike leaves the window: then it is under the limit again.
    const retryAfterMs = Math.max(1, times[0]! + o.killWindowMs - now);
    c.rejected++;
    return new EngineError('RESOURCE_EXCEEDED',
      `caller "${caller}"'s executions took down ${times.length} workers in the last ${o.killWindowMs / 1000} s (limit ${o.maxKills}); refused for another ${Math.ceil(retryAfterMs / 1000)} s`,
      { resource: 'worker_replacements', limit: o.maxKills, retryAfterMs });
  }

  function noteDuration(key: string, ms: number): void {
    const prev = expected.get(key);
    expected.delete(key);
    expected.set(key, prev === undefined ? ms : prev * 0.8 + ms * 0.2);
    if (expected.size > EXPECTED_KEYS) expected.delete(expected.keys().next().value!);
  }

  const cache = new LRUCache<string, CacheEntry>({
    max: Math.max(1, o.maxCacheSize),
    maxSize: o.maxCacheBytes,
    sizeCalculation: (e) => Math.max(1, e.code.length * 2 + (e.cachedData?.byteLength ?? 0) + 256),
  });
  // maxCacheSize 0 (enable_caching = false): nothing is kept, so nothing is ever a hit; every run
  // sends its source and the worker prepares and compiles it (its isolates keep no Script either).
  const caching = o.maxCacheSize > 0;
  const keep = (key: string, entry: CacheEntry) => { if (caching) cache.set(key, entry); };

  function spawn(): WorkerHandle {
    const id = `w${++workerSeq}`;
    const w = new WorkerHandle({
      workerId: id, isolates: o.isolatesPerWorker, recycleAfter: o.recycleAfter,
      maxOldSpaceMb: o.maxOldSpaceMb, testHooks: o.testHooks, defaultMemoryMb: o.defaultMemoryMb, codeCacheBytes: o.codeCacheBytes,
      maxParked: o.maxParked, idleSlotMs: o.idleSlotMs, keepScripts: caching,
      onStderrLine: options.onWorkerStderr && ((line) => { try { options.onWorkerStderr!(id, line); } catch { /* a listener never breaks the pool */ } }),
    });
    w.onCapacity = () => queueMicrotask(pump);
    w.onExit = (dead, reason, held) => {
      try { options.onWorkerExit?.({ workerId: dead.id, pid: dead.pid, reason, ...held }); } catch { /* a listener never breaks the pool */ }
      if (o.maxKills > 0 && held.blamed.length > 0) blamedOn.set(dead, new Set(held.blamed.map((b) => b.executionId)));
      const i = pool.indexOf(dead);
      if (i >= 0) pool.splice(i, 1);
      current.delete(dead);
      c.recyclesOfDead += dead.recycles;
      c.cpuMsOfDead += dead.cpuMs;
      if (state === 'running' || state === 'starting') {
        if (!reason.startsWith('shut down')) {
          // A worker a script (or a compile's source) took down by breaching its own limit is that
          // caller's failure, not the service's: it does not count toward health (a caller could
          // otherwise make it UNHEALTHY), nor does one that a compilation it was running may have.
          if (held.blamed.length === 0 && !held.blamedCompile && !dead.compileSuspected) failures.push(Date.now());
          c.workerRestarts++;
        }
        const nw = spawn();
        pool.push(nw);
        nw.ready.then(pump, () => {});
      }
    };
    return w;
  }

  function check(): void {
    const now = Date.now();
    for (const w of [...pool]) {
      if (w.dead) continue;
      const rss = w.readRss();
      if (rss > 0) w.rss = rss;
      w.readCpuMs();
      if (rss > o.rssBudget) {
        w.kill(`exceeded its memory budget (${Math.round(rss / MiB)} MiB > ${Math.round(o.rssBudget / MiB)} MiB)`, w.blameMemory({ budgetBytes: o.rssBudget }));
        continue;
      }
      // A worker running guest code synchronously sends nothing until the result: while it holds
      // executions, their deadlines (below) are the liveness check; the heartbeat covers an idle worker
      // (one still starting, on a loaded machine slower than a heartbeat timeout, gets longer).
      const silentMs = Math.max(o.heartbeatTimeoutMs, w.isReady ? 0 : START_TIMEOUT_MS);
      if (w.execs.size === 0 && now - w.lastHeartbeat > silentMs && now - w.startedAt > silentMs) { w.kill('stopped answering (no heartbeat)'); continue; }
      const hung = w.hungPast(now, o.heartbeatTimeoutMs);
      if (hung) { w.kill(`hung past an execution deadline (${hung})`, w.blameOverdue(now)); continue; }
      // A worker compiles on the thread that runs guest code synchronously, so a compilation can wait
      // behind a long script: it is answered at its deadline, and its late reply is dropped.
      w.expireCompiles(now, (waitedMs) => new EngineError('TIMEOUT',
        `the compilation was not done within ${Math.round(waitedMs / 1000)} s: the workers were busy running scripts; try again`, { retryAfterMs: 1000 }));
    }
    while (failures.length && failures[0]! < now - o.failureWindowMs) failures.shift();
    for (const caller of kills.keys()) strikesOf(caller, now);
  }

  async function start(): Promise<void> {
    // Running (a Stop's drain, say), it keeps refusing: only a start that spawns lifts the refusal.
    if (state === 'running') return;
    refusing = false;
    state = 'starting';
    startedAt = Date.now();
    while (pool.length < o.workers) pool.push(spawn());
    // Each round judges after the poll phase that follows its timer: what the workers sent while this
    // process was held off its thread (a loaded machine, a long synchronous task) is read first.
    watchdog = setInterval(() => setImmediate(check), 250);
    watchdog.unref();
    await Promise.allSettled(pool.map((w) => w.ready));
    // Closed while the workers spawned: it stays stopped.
    if (state !== 'starting') return;
    state = 'running';
    pump();
  }

  function refuseQueued(): void {
    refusing = true;
    for (const q of queue.splice(0)) {
      if (q.onAbort) q.signal?.removeEventListener('abort', q.onAbort);
      release(q.job);
      q.reject(notStarted());
    }
    // A caller waiting for a compiler is queued work too: refused now, not held until a worker
    // frees (or told at the grace's end that it was stopped); the compilation, left by all, is
    // dropped by its worker unless begun.
    for (const f of [...compiling.values()]) {
      for (const leave of [...f.leavers]) leave(compileRefused(f.result));
    }
  }

  function wakeIfIdle(): void {
    if (c.active === 0 && compilesInFlight + compilesAbandoned === 0) for (const wake of idleWaiters.splice(0)) wake();
  }

  function idle(maxMs: number): Promise<boolean> {
    if (c.active === 0 && compilesInFlight + compilesAbandoned === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => { clearTimeout(timer); resolve(true); };
      const timer = setTimeout(() => {
        const i = idleWaiters.indexOf(wake);
        if (i >= 0) idleWaiters.splice(i, 1);
        resolve(false);
      }, maxMs);
      idleWaiters.push(wake);
    });
  }

  async function close(options: { now?: boolean } = {}): Promise<void> {
    if (state === 'stopped') return;
    state = 'stopping';
    if (watchdog) clearInterval(watchdog);
    refuseQueued();
    const now = options.now === true;
    const stopped = now ? () => new EngineError('ENGINE_STOPPED', 'the engine stopped: the execution was stopped at the end of the grace', { retryAfterMs: 1000 }) : undefined;
    // Over a copy: a worker killed at once leaves `pool` (onExit) while this walks it, and the one
    // after it was skipped, left running with what it held.
    await Promise.allSettled([...pool].map((w) => w.shutdown(now, stopped)));
    pool.length = 0;
    state = 'stopped';
  }

  /**
   * The least busy worker with room; among equals, one whose isolate already has the job's memory
   * limit (a single-isolate worker makes a new isolate to change it: with Safe and Production
   * callers mixed, choosing blindly did so for about half the executions).
   */
  function pickWorker(memoryMb: number): WorkerHandle | undefined {
    let best: WorkerHandle | undefined;
    let bestMatches = false;
    for (let i = 0; i < pool.length; i++) {
      const w = pool[(rr + i) % pool.length]!;
      if (w.dead || !w.isReady || !w.child.connected || !hasRoom(w, memoryMb)) continue;
      const matches = w.memoryMb === memoryMb;
      if (!best || w.busy < best.busy || (w.busy === best.busy && matches && !bestMatches)) { best = w; bestMatches = matches; }
    }
    rr++;
    return best;
  }

  /**
   * Whether a worker can start one more execution now: its isolates are not all running guest code,
   * counting parked executions (waiting on the host, in isolates of their own) up to
   * maxParkedPerWorker, with the memory limits of their isolates together inside ROOM_SHARE (3/4) of its RSS budget.
   * Tool runs (`nested`: a registered tool's run for an execution here) count in neither: they start
   * here unasked (their caller waits on them) and are bounded by their caller's fan-out, at most
   * MAX_TOOLS_IN_FLIGHT each, as worker.ts park() does; their memory by their own limits and the
   * worker's RSS budget (check(); past ROOM_SHARE with them, its holder is not blamed, blameMemory()).
   * Counted, one execution's eight calls to a slow tool took every
   * other caller's room (by memory, seven at 100 MiB did), and one caller could do so to every worker
   * within its own concurrency limit.
   */
  function hasRoom(w: WorkerHandle, memoryMb: number): boolean {
    if (w.busy - w.parked.size >= w.capacity) return false;
    if (w.parked.size === 0) return true;
    let parked = 0;
    let mb = memoryMb;
    for (const [id, f] of w.execs) {
      if (f.msg.nested) continue;
      mb += f.msg.limits.memoryMb;
      if (w.parked.has(id)) parked++;
    }
    return parked <= o.maxParked && mb * MiB <= o.rssBudget * ROOM_SHARE;
  }

  /** A single-isolate worker running one of `caller`'s executions, expected to finish soon, with room behind it. */
  function pickAheadWorker(caller: string | undefined, memoryMb: number): WorkerHandle | undefined {
    if (!o.sendAhead || caller === undefined) return undefined; // work with no caller (internal) is never sent ahead
    const now = performance.now();
    let best: WorkerHandle | undefined;
    let bestSince = 0;
    for (const w of pool) {
      // Only behind executions with the same memory limit: a different one would make the worker a new isolate.
      if (w.dead || !w.isReady || !w.child.connected || w.capacity !== 1 || w.busy < 1 || w.busy >= AHEAD_DEPTH || w.memoryMb !== memoryMb) continue;
      const cur = current.get(w);
      if (!cur || cur.caller !== caller || now - cur.since > o.aheadExpectedMs) continue;
      const exp = expected.get(cur.key);
      if (exp === undefined || exp > o.aheadExpectedMs) continue;
      // The one holding the fewest, then the one that started first (expected to finish first).
      if (!best || w.busy < best.busy || (w.busy === best.busy && cur.since < bestSince)) { best = w; bestSince = cur.since; }
    }
    return best;
  }

  function anyReadyWorker(): WorkerHandle | undefined {
    const ready = pool.filter((w) => !w.dead && w.isReady && w.child.connected);
    if (ready.length === 0) return undefined;
    return ready.reduce((a, b) => (b.compiles.size + b.busy < a.compiles.size + a.busy ? b : a));
  }

  /**
   * A ready worker; while replacements are starting (after a crash), wait for one until `deadline`
   * (performance.now() time), then throw what `late()` makes.
   */
  async function readyWorker(deadline: number, late: () => EngineError): Promise<WorkerHandle> {
    for (;;) {
      const w = anyReadyWorker();
      if (w) return w;
      if (state !== 'running') throw new EngineError('ENGINE_STOPPED', 'the engine is not running', { retryAfterMs: 1000 });
      if (performance.now() >= deadline) throw late();
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(25, deadline - performance.now()))));
    }
  }

  /**
   * Roughly when the queue will have room: the work queued and running, by each script's recent
   * durations; one running longer than expected is taken to need as long again as it has run (a
   * lifetime average alone said 50 ms while seconds of work waited).
   */
  function untilRoomMs(): number {
    const now = performance.now();
    let work = 0;
    for (const q of queue) work += expectedMs(q.job.cacheKey, q.job.limits.wallTimeoutMs);
    for (const [, cur] of current) work += expectedLeftMs(cur, now);
    return work / Math.max(1, pool.length * o.isolatesPerWorker);
  }

  /**
   * How long an execution of the script is expected to take: its recent duration; a script not seen
   * to end yet, a tenth of its wall limit (or the lifetime average, if longer). The lifetime average
   * alone (50 ms when none) put every refusal of an ad-hoc source at the 100 ms floor while its
   * executions ran for seconds.
   */
  function expectedMs(key: string | undefined, wallMs: number): number {
    const known = key === undefined ? undefined : expected.get(key);
    return known ?? Math.max(c.timed ? c.execTimeSum / c.timed : 50, wallMs / UNSEEN_WALL_SHARE);
  }

  /**
   * Roughly how long a running execution has left: its script's expected duration less what it ran,
   * or, running longer than that, as long again as it has run; never past its wall limit.
   */
  function expectedLeftMs(r: Running, now: number): number {
    const ran = now - r.since;
    const exp = expectedMs(r.key, r.endBy - r.since);
    return Math.max(0, Math.min(exp > ran ? exp - ran : ran, r.endBy - now));
  }

  /**
   * When the caller's soonest running execution (at `level`, if given) is expected to end (its slot
   * frees), or, none running yet, when the queue has room.
   */
  function untilCallerSlotMs(caller: string, level?: string): number {
    const now = performance.now();
    let soonest = Infinity;
    for (const r of runningNow) if (r.caller === caller && (level === undefined || r.level === level)) soonest = Math.min(soonest, expectedLeftMs(r, now));
    return soonest === Infinity ? untilRoomMs() : soonest;
  }

  /**
   * When a worker's thread is expected to be free for the compilations waiting there: they wait
   * behind the synchronous script it runs. The soonest expected end of the workers' current
   * executions; none running, compiling is only slow (200 ms).
   */
  function untilCompilerFreeMs(): number {
    const now = performance.now();
    let soonest = Infinity;
    for (const w of pool) {
      const r = current.get(w);
      soonest = Math.min(soonest, r ? expectedLeftMs(r, now) : Infinity);
    }
    return soonest === Infinity ? 200 : soonest;
  }

  function countCaller(caller: CallerSlots, by: 1 | -1): void {
    const add = (counts: Map<string, number>, key: string) => {
      const n = (counts.get(key) ?? 0) + by;
      if (n <= 0) counts.delete(key); else counts.set(key, n);
    };
    add(perCaller, caller.key);
    if (caller.level !== undefined) add(perCallerLevel, callerLevelKey(caller));
  }

  function release(job: ExecuteJob): void {
    if (job.caller) countCaller(job.caller, -1);
  }

  /**
   * Why the caller may not have one more execution, if so: all its executions against its own caps
   * (total), then those at the job's level against that level's (limit).
   */
  function callerRefusal(caller: CallerSlots): EngineError | undefined {
    const all = perCaller.get(caller.key) ?? 0;
    const atLevel = caller.level === undefined ? all : perCallerLevel.get(callerLevelKey(caller)) ?? 0;
    const [n, limit, name, level] = caller.total && all >= caller.total.limit ? [all, caller.total.limit, caller.total.name, undefined]
      : atLevel >= caller.limit ? [atLevel, caller.limit, caller.limitName, caller.level]
      : [];
    if (n === undefined) return undefined;
    // When its soonest running execution that holds the cap is expected to end: a fixed 100 ms had an
    // SDK honouring RetryInfo retry a dozen times while the caller's executions ran for seconds.
    const retryAfterMs = Math.round(Math.min(30_000, Math.max(100, untilCallerSlotMs(caller.key, level))));
    const what = `${n} ${level === undefined ? '' : `${level} `}execution${n === 1 ? '' : 's'}`;
    return new EngineError('RESOURCE_EXCEEDED', `caller ${caller.key} already has ${what} (limit ${limit}${name ? `: ${name}` : ''})`, { resource: 'concurrent_executions', limit, retryAfterMs });
  }

  function recordLatency(ms: number): void {
    if (latencies.length < 2048) latencies.push(ms); else latencies[latencyPos++ % 2048] = ms;
    sortedLatencies = undefined;
  }

  // Sorted once per change, not once per percentile: stats() is read by every HealthCheck and GetMetrics.
  let sortedLatencies: Float64Array | undefined;
  function percentile(p: number): number {
    if (latencies.length === 0) return 0;
    sortedLatencies ??= Float64Array.from(latencies).sort();
    return nearestRank(sortedLatencies, p);
  }

  function validate(job: ExecuteJob): void {
    if (typeof job.source !== 'string') throw new EngineError('INVALID_ARGUMENT', 'source must be a string');
    if (Buffer.byteLength(job.source) > o.maxSourceBytes) throw new EngineError('INVALID_ARGUMENT', `source exceeds ${o.maxSourceBytes} bytes`, { resource: 'source', limit: o.maxSourceBytes });
    const l = job.limits;
    if (!l || !(l.memoryBytes > 0) || !(l.wallTimeoutMs > 0) || !(l.maxOutputBytes >= 0) || !(l.maxReturnBytes >= 0)) {
      throw new EngineError('INVALID_ARGUMENT', 'limits must set memoryBytes, wallTimeoutMs, maxOutputBytes and maxReturnBytes');
    }
  }

  function execute(job: ExecuteJob, signal?: AbortSignal): Promise<ExecutionOutcome> {
    if (state !== 'running') return Promise.reject(new EngineError('ENGINE_STOPPED', 'the engine is not running', { retryAfterMs: 1000 }));
    try { validate(job); } catch (e) { return Promise.reject(e); }
    if (signal?.aborted) return Promise.reject(new EngineError('CANCELLED', 'cancelled before it started'));
    // A tool run on behalf of a running execution goes straight to its parent's worker (a second
    // isolate there): callers waiting on tools must never wait behind the queue they fill.
    const parent = job.parentExecutionId ? runningOn.get(job.parentExecutionId) : undefined;
    if (refusing && !(parent && !parent.dead)) {
      return Promise.reject(notStarted());
    }
    // A tool run belongs to its running parent, which the breaker leaves alone.
    const refused = parent ? undefined : killRefusal(job.caller?.key);
    if (refused) return Promise.reject(refused);
    const overCaller = job.caller && callerRefusal(job.caller);
    if (overCaller) {
      if (!job.notCounted) c.rejected++;
      return Promise.reject(overCaller);
    }
    if (parent && !parent.dead) {
      return new Promise<ExecutionOutcome>((resolve, reject) => {
        const q: Queued = { job, signal, enqueuedAt: performance.now(), resolve, reject };
        if (heldToolRuns.has(parent) || toolRunHoldsThread(parent)) holdToolRun(parent, q);
        else dispatch(parent, q, false);
      });
    }
    const free = queue.length === 0 ? pickWorker(memoryMbOf(job.limits)) : undefined;
    if (!free && queue.length >= o.maxQueue) {
      if (!job.notCounted) c.rejected++;
      const retryAfterMs = Math.round(Math.min(30_000, Math.max(100, untilRoomMs())));
      return Promise.reject(new EngineError('QUEUE_FULL', `the execution queue is full (limit ${o.maxQueue}: pool.max_queue)`, { retryAfterMs, resource: 'queue', limit: o.maxQueue }));
    }
    if (job.caller) countCaller(job.caller, 1);
    return new Promise<ExecutionOutcome>((resolve, reject) => {
      const q: Queued = { job, signal, enqueuedAt: performance.now() - (job.waitedBeforeMs ?? 0), resolve, reject };
      if (free) { dispatch(free, q, false); return; }
      const ahead = queue.length === 0 ? pickAheadWorker(job.caller?.key, memoryMbOf(job.limits)) : undefined;
      if (ahead) { dispatch(ahead, q, true); return; }
      enqueue(q, false);
    });
  }

  function enqueue(q: Queued, front: boolean): void {
    if (q.signal) {
      q.onAbort = () => {
        const i = queue.indexOf(q);
        if (i >= 0) {
          queue.splice(i, 1);
          release(q.job);
          q.reject(new EngineError('CANCELLED', 'cancelled while waiting in the queue'));
        }
      };
      q.signal.addEventListener('abort', q.onAbort, { once: true });
    }
    if (front) queue.unshift(q); else queue.push(q);
  }

  /**
   * Whether a single-isolate worker has a tool run that holds (or, sent, will hold) its thread: one
   * it has not said is parked (one sent and not begun yet too: it waits for the thread). Its next
   * tool run waits for it (heldToolRuns); an execution that is not a tool run is not waited for (its
   * worker may not say it parked, past max_parked).
   */
  function toolRunHoldsThread(w: WorkerHandle): boolean {
    if (w.capacity !== 1) return false;
    for (const [id, f] of w.execs) if (f.msg.nested && !w.parked.has(id)) return true;
    return false;
  }

  /** A tool run waits, host-side, for its worker's thread (heldToolRuns); cancelled, it leaves at once. */
  function holdToolRun(w: WorkerHandle, q: Queued): void {
    let held = heldToolRuns.get(w);
    if (!held) heldToolRuns.set(w, held = []);
    held.push(q);
    q.heldToolRun = true;
    if (q.signal) {
      q.onAbort = () => {
        const list = heldToolRuns.get(w);
        const i = list ? list.indexOf(q) : -1;
        if (i < 0) return;
        list!.splice(i, 1);
        if (list!.length === 0) heldToolRuns.delete(w);
        q.reject(new EngineError('CANCELLED', "cancelled while it waited for other tool runs on its worker"));
      };
      q.signal.addEventListener('abort', q.onAbort, { once: true });
    }
  }

  /** Sends each held tool run whose worker's thread is free (one at a time), or fails those whose worker died. */
  function releaseToolRuns(): void {
    for (const [w, held] of heldToolRuns) {
      while (held.length > 0 && (w.dead || !toolRunHoldsThread(w))) {
        const q = held.shift()!;
        if (q.onAbort) q.signal?.removeEventListener('abort', q.onAbort);
        if (w.dead) q.reject(new EngineError('WORKER_CRASHED', `worker ${w.id} was replaced before the tool run started`, { workerId: w.id }));
        else dispatch(w, q, false);
      }
      if (held.length === 0) heldToolRuns.delete(w);
    }
  }

  function pump(): void {
    releaseToolRuns();
    while (queue.length > 0 && state === 'running') {
      const head = queue[0]!.job;
      const mb = memoryMbOf(head.limits);
      const w = pickWorker(mb);
      const ahead = w ? undefined : pickAheadWorker(head.caller?.key, mb);
      if (!w && !ahead) break;
      const at = w ? fittingIndex(w) : 0;
      for (let i = 0; i < at; i++) queue[i]!.passedOver = (queue[i]!.passedOver ?? 0) + 1;
      const q = queue.splice(at, 1)[0]!;
      if (q.onAbort) q.signal?.removeEventListener('abort', q.onAbort);
      dispatch((w ?? ahead)!, q, !w);
    }
  }

  /**
   * Which queued job a free single-isolate worker takes: the head, unless its isolate has another
   * memory limit (changing it means a new isolate, ~1.5 ms, and cold caches) and a job a few places
   * back fits it; no job is passed over more than MAX_PASSED_OVER times, so none waits long.
   */
  function fittingIndex(w: WorkerHandle): number {
    if (w.capacity !== 1 || memoryMbOf(queue[0]!.job.limits) === w.memoryMb) return 0;
    const n = Math.min(queue.length, FIT_LOOKAHEAD);
    for (let i = 1; i < n; i++) {
      if ((queue[i - 1]!.passedOver ?? 0) >= MAX_PASSED_OVER) return 0;
      if (memoryMbOf(queue[i]!.job.limits) === w.memoryMb) return i;
    }
    return 0;
  }

  function dispatch(w: WorkerHandle, q: Queued, ahead: boolean): void {
    const { job } = q;
    if (q.rerun && q.rerun.deadlineAt - performance.now() < RERUN_MIN_MS) {
      // Its time ran out while it waited to run again: it fails as its first worker's death would have.
      if (!job.notCounted) { c.total++; c.failed++; recordLatency(performance.now() - q.enqueuedAt); }
      release(job);
      q.reject(new EngineError('WORKER_CRASHED', `worker ${q.rerun.workerId} was replaced (another execution took it down) and no time was left to run the execution again; it did not complete (retryable)`, { workerId: q.rerun.workerId }));
      return;
    }
    let queueWaitMs = performance.now() - q.enqueuedAt;
    let started = performance.now();
    const language: ScriptLanguage = job.language ?? 'javascript';
    // A stored script carries the key compile() gave its source: no hash of the source per run.
    const key = job.cacheKey ?? cacheKeyOf(sourceHash(job.source), language, job.kind);
    const entry = cache.get(key);
    const cacheHit = job.compiledCacheHit ?? entry !== undefined;
    // The execution figures are the callers': a registered tool's run inside one, or the engine's
    // own work (a migration's describe and smoke runs), is not another execution of theirs.
    const counted = !job.notCounted;
    if (job.compiledCacheHit === undefined && !q.lookedUp) {
      q.lookedUp = true;
      if (entry) c.cacheHits++; else { c.cacheMisses++; c.compilations++; }
    }
    const l = job.limits;
    // Run again, it has what is left of the caller's time, and at most its CPU budget. A tool run
    // that waited for its worker's thread has what is left of its call's time (its CPU budget the
    // level's share of that): its caller's tool runs together hold that thread no longer than the call.
    const heldMs = q.heldToolRun ? Math.ceil(performance.now() - q.enqueuedAt) : 0;
    const wallMs = q.rerun ? Math.min(l.wallTimeoutMs, Math.floor(q.rerun.deadlineAt - performance.now())) : l.wallTimeoutMs - heldMs;
    // Too little left to start in (a worker's message, a context): failed as a rerun would be.
    if (q.heldToolRun && wallMs < RERUN_MIN_MS) {
      q.reject(new EngineError('TIMEOUT', `the tool run waited ${heldMs} ms for other tool runs on its worker to free it, and had no time left to run`));
      return;
    }
    const heldLimits = q.heldToolRun ? { ...l, wallTimeoutMs: wallMs } : undefined;
    const limits: WorkerLimits = {
      memoryMb: memoryMbOf(l),
      wallTimeoutMs: wallMs,
      // Its timeout names its own limit, not what was left of it: that is the limit it exceeded.
      ...(wallMs !== l.wallTimeoutMs && { wallLimitMs: l.wallTimeoutMs }),
      cpuBudgetMs: heldLimits ? cpuBudgetMs(heldLimits) : cpuBudgetMs(l, wallMs),
      maxOutputBytes: l.maxOutputBytes,
      maxReturnBytes: l.maxReturnBytes,
      maxReturnValueBytes: l.maxReturnValueBytes ?? 0,
      maxToolPayloadBytes: l.maxToolPayloadBytes ?? MiB,
      maxToolCalls: l.maxToolCalls ?? 1000,
    };
    const executionId = (q.executionId ??= job.executionId || crypto.randomUUID());
    const payload = JSON.stringify({
      args: job.arguments === undefined ? {} : job.arguments, env: job.env ?? {}, user: job.user ?? {}, tools: l.tools ?? [],
      executionId, scriptId: job.scriptId ?? '',
      maxOutputBytes: limits.maxOutputBytes, maxReturnBytes: limits.maxReturnBytes, maxToolPayloadBytes: limits.maxToolPayloadBytes,
    });
    // Compiled code crosses to a worker once; after that, only its cache key.
    const codeRef = entry !== undefined && w.hasCode(key);
    if (codeRef) c.codeByReference++;
    else if (entry) w.codeSent(key);
    const msg: ExecMsg = {
      t: 'exec', id: ++msgSeq,
      code: codeRef ? '' : entry ? entry.code : job.source, codeRef: codeRef || undefined, compiled: !!entry, language,
      kind: entry ? entry.kind : job.kind, wrapped: entry?.wrapped,
      filename: safeFilename(job.filename, language), cacheKey: key, cachedData: codeRef ? undefined : entry?.cachedData,
      payload, tools: l.tools ?? [], limits, profile: job.collectCpuProfile === true,
      testHook: o.testHooks ? job.testHook : undefined,
      nested: job.parentExecutionId ? true : undefined,
    };
    // The execution starts now, or (sent ahead) when the worker has answered the one in front of it.
    let cur: Running | undefined;
    const onStart = () => {
      started = performance.now();
      queueWaitMs = started - q.enqueuedAt;
      current.set(w, cur = { since: started, key, caller: job.caller?.key, level: job.caller?.level, endBy: started + limits.wallTimeoutMs });
      if (!job.parentExecutionId && !finished) runningNow.add(cur);
      if (cancelledAhead) { armCancelKill(); return; }
      armHeldPastLimit();
      // Run again, it is still the one run the trace opened at its first start.
      if (!q.rerun) try { job.onDispatch?.({ queueWaitMs, cacheHit, workerId: w.id }); } catch { /* tracing never breaks a run */ }
    };
    c.active++;
    if (counted) c.activeCounted++;
    // Keyed by the run, not the caller-chosen execution id: two executions given the same id must
    // not find (or lose) each other's worker when their tools run.
    const runKey = `${executionId}#${msg.id}`;
    runningOn.set(runKey, w);
    // A tool run's is its calling execution's (read now: the tool run may outlive it).
    const parent = job.parentExecutionId ? runIds.get(job.parentExecutionId) : undefined;
    const strikeKey = job.caller?.key ?? parent?.strikeKey;
    runIds.set(runKey, { msgId: msg.id, strikeKey });
    // Stops this execution's tool calls when it ends; made at the first call (most executions make none).
    let toolAbort: AbortController | undefined;
    // Tool calls made (handleTool): a call reaches outside the isolate, so the execution cannot be run again.
    let io: ToolIo = { net: 0, file: 0, calls: 0, running: new Map() };
    let cancelTimer: NodeJS.Timeout | undefined;
    let cancelledAhead = false;
    // A worker stops a cancelled execution at once unless guest code is running synchronously there;
    // then the worker (when that is the only execution it runs) is replaced: the script stops. Only
    // once the worker has run on since the cancel (ranOn(), from `cpuAtCancel`) and still holds it:
    // one the machine holds off the CPU has failed to stop nothing. Each check runs after the poll
    // phase, so what the worker answered while the host was held off its thread is read first.
    const stopIfStillRunning = (cpuAtCancel: number) => {
      if (!w.execs.get(msg.id)?.started || w.dead) return;
      if (w.running === 1 && w.ranOn(cpuAtCancel, CANCEL_GRACE_MS)) w.kill('did not stop a cancelled execution in time', w.blameCancelled(msg.id));
      else setTimeout(() => setImmediate(stopIfStillRunning, cpuAtCancel), CANCEL_RECHECK_MS);
    };
    const armCancelKill = () => {
      const cpu = w.cpuNow();
      setTimeout(() => setImmediate(stopIfStillRunning, cpu), CANCEL_GRACE_MS);
    };
    const onCancel = () => {
      w.send({ t: 'cancel', id: msg.id });
      // Its tool calls stop now, not once the grace below has passed.
      toolAbort?.abort(EXECUTION_CANCELLED);
      if (!w.execs.get(msg.id)?.started) {
        // Not started (queued in the worker): the caller hears at once, as from the queue; the worker
        // drops it (answering 'dropped'), or, had it just started there, stops it as above.
        cancelledAhead = true;
        done();
        q.reject(new EngineError('CANCELLED', 'cancelled before it started'));
        return;
      }
      const cpu = w.cpuNow();
      cancelTimer = setTimeout(() => setImmediate(() => {
        if (finished) return;
        countFailed();
        done();
        q.resolve(cancelledOutcome(executionId, w.id, queueWaitMs, cacheHit, performance.now() - started));
        stopIfStillRunning(cpu);
      }), CANCEL_GRACE_MS);
    };
    // Parked on a single-isolate worker while another execution's guest code holds its thread (a tool
    // run spinning to its budget, say), it is not told of its own time limit by the worker, which reads
    // nothing meanwhile: past that limit and a grace, the host tells its caller, as it does a cancel's,
    // and has the worker drop it once free. Its place there stays taken until the worker answers (the
    // late answer is ignored); nobody is struck. Checked after the poll phase, so an answer the worker
    // sent meanwhile is read first; while the worker can answer itself (its thread free, or this one
    // running), it is left to, and checked again until it has.
    let heldTimer: NodeJS.Timeout | undefined;
    const answerIfHeldPastLimit = () => {
      heldTimer = undefined;
      if (finished || w.dead || !w.execs.has(msg.id)) return;
      if (!w.heldBehind(msg.id)) {
        heldTimer = setTimeout(() => setImmediate(answerIfHeldPastLimit), CANCEL_RECHECK_MS);
        return;
      }
      w.send({ t: 'cancel', id: msg.id });
      countFailed();
      done();
      q.resolve(heldPastLimitOutcome(executionId, w.id, queueWaitMs, cacheHit, performance.now() - started, wallLimitOf(limits)));
    };
    const armHeldPastLimit = () => {
      if (w.capacity !== 1 || finished) return;
      heldTimer = setTimeout(() => setImmediate(answerIfHeldPastLimit), Math.max(0, started + limits.wallTimeoutMs + HELD_PAST_LIMIT_GRACE_MS - performance.now()));
    };
    // Handed back (its worker died): unstarted, it never ran; started, it may run again (mayRerun).
    // Either way, to the head of the queue.
    const requeue = () => {
      if (!finish()) return;
      if (state !== 'running' || refusing) {
        release(job);
        q.reject(notStarted());
        return;
      }
      if (cur) q.rerun = { deadlineAt: started + limits.wallTimeoutMs, workerId: w.id };
      else c.handedBack++;
      enqueue(q, true);
      queueMicrotask(pump);
    };
    // Its worker died of another execution's doing: it runs again from scratch only if that is as if
    // the first run never happened (no tool call: nothing reached outside its isolate), once, and with
    // time left; a registered tool's run is its parent's call, which cannot be run again.
    const mayRerun = (): boolean => !finished && !q.rerun && io.calls === 0 && !job.parentExecutionId && !q.signal?.aborted
      && state === 'running' && !refusing && started + limits.wallTimeoutMs - performance.now() >= RERUN_MIN_MS;
    // The worker dropped a cancelled one unstarted: its place there is free again.
    const onDropped = () => queueMicrotask(pump);
    q.signal?.addEventListener('abort', onCancel, { once: true });
    const toolSignal = (): AbortSignal => {
      if (!toolAbort) {
        toolAbort = new AbortController();
        if (finished) toolAbort.abort(EXECUTION_DONE);
        else if (q.signal?.aborted) toolAbort.abort(EXECUTION_CANCELLED);
      }
      return toolAbort.signal;
    };
    // A call may take the tool timeout, and never past the caller's own wall time less a margin.
    const onTool = (m: ToolMsg) => {
      const left = started + limits.wallTimeoutMs - performance.now();
      const callerCut = left - Math.min(TOOL_CALLER_MARGIN_MS, left / 2);
      const toolTimeoutMs = l.toolTimeoutMs ?? Infinity;
      void handleTool(w, m, job, runKey, Math.max(1, Math.floor(Math.min(toolTimeoutMs, callerCut))), callerCut < toolTimeoutMs, toolSignal(), io);
    };
    let finished = false;
    // A failure the worker did not answer (a cancel, its worker's death, the engine stopping) counts
    // as an execution, in the latencies too, as one it answered does.
    const countFailed = () => {
      if (!counted) return;
      c.total++;
      c.failed++;
      recordLatency(performance.now() - started + queueWaitMs);
    };
    /** Ends this dispatch once (false if it already had ended): timers, tool calls and listeners. */
    const finish = (): boolean => {
      if (finished) return false;
      finished = true;
      if (cancelTimer) clearTimeout(cancelTimer);
      clearTimeout(heldTimer);
      toolAbort?.abort(EXECUTION_DONE);
      q.signal?.removeEventListener('abort', onCancel);
      if (cur) runningNow.delete(cur);
      c.active--;
      if (counted) c.activeCounted--;
      runningOn.delete(runKey);
      runIds.delete(runKey);
      wakeIfIdle();
      return true;
    };
    // Bookkeeping happens before the caller hears back, so its next call sees the freed slot.
    const done = () => {
      if (!finish()) return;
      release(job);
      queueMicrotask(pump);
    };
    if (ahead) c.sentAhead++;
    // The worker no longer had the code sent by reference: send this execution again, with it.
    const onNeedCode = (): boolean => {
      w.codeLost(key);
      if (finished || !entry) return false;
      c.codeResent++;
      w.codeSent(key);
      w.send({ ...msg, code: entry.code, cachedData: entry.cachedData, codeRef: undefined });
      return true;
    };
    w.exec(msg, o.hangGraceMs, onTool, { queued: ahead, onStart, onDropped, onNeedCode, onRequeue: requeue, mayRerun, parentId: parent?.msgId }).then((r: ResultMsg) => {
      if (cur && current.get(w) === cur) current.delete(w);
      // The worker has room again: what waits goes next (held tool runs, the queue), even when this
      // one's caller stopped listening long ago (answered at its cancel, it pumped while the worker was busy).
      queueMicrotask(pump);
      // Its worker was replaced for it: a strike, even when its caller already heard (a cancel); one a
      // replacement per caller, however many of its executions (a script and its tool run) it took down.
      if (strikeKey && blamedOn.get(w)?.has(executionId) && firstStrikeOn(w, strikeKey)) noteKill(strikeKey);
      noteDuration(key, r.outcome.executionTimeMs);
      if (finished) return;
      if (r.compiled) {
        keep(key, { ...r.compiled, language });
      }
      const out = r.outcome;
      // Stopped at its share of what was left of its call: the message says so (not its call's whole time).
      if (heldLimits && out.error?.limit === 'cpu_time') {
        out.error = { ...out.error, message: cpuShareOfDeadline(out.error.message, heldLimits, 'the tool', `the ${wallMs} ms left of its call after it waited ${heldMs} ms for other tool runs on its worker`) };
      }
      let returnValue: JsonValue | undefined;
      if (out.ok && out.returnJson !== undefined) returnValue = JSON.parse(out.returnJson, mayHoldLoneSurrogates(out.returnJson) ? wellFormedJson : undefined) as JsonValue;
      const outcome: ExecutionOutcome = {
        executionId,
        success: out.ok,
        returnValue,
        returnValueBytes: out.returnValueBytes,
        stdout: out.stdout.toWellFormed(),
        // Its tool calls still at the host stop as it ends (finish): the script is told which.
        stderr: withStoppedToolCalls(out.stderr.toWellFormed(), io.running, out.ok, limits.maxOutputBytes),
        executionTimeMs: out.executionTimeMs,
        error: out.error && wellFormedError(out.error),
        outputTail: out.outputTail && wellFormedTail(out.outputTail),
        usage: {
          memoryBytes: out.memoryBytes, cpuPercentage: out.cpuPercentage, operationsCount: out.operationsCount,
          networkIoBytes: io.net, fileIoBytes: io.file,
        },
        metadata: { cacheHit, isolateId: out.isolateId, workerId: w.id, queueWaitMs, compileMs: out.compileMs },
        cpuProfile: out.cpuProfile,
        ...(out.refusedToolCalls && { refusedToolCalls: { count: out.refusedToolCalls.count, first: out.refusedToolCalls.first.toWellFormed() } }),
      };
      if (counted) {
        c.total++;
        if (out.ok) c.ok++; else c.failed++;
        c.execTimeSum += out.executionTimeMs;
        c.timed++;
        recordLatency(performance.now() - started + queueWaitMs);
      }
      done();
      q.resolve(outcome);
    }, (e: Error) => {
      queueMicrotask(pump);
      if (finished) return;
      countFailed();
      done();
      q.reject(e);
    });
  }

  /** `byCaller`: the caller's wall time, not the tool timeout, bounds the call (`timeoutMs`). */
  async function handleTool(w: WorkerHandle, m: ToolMsg, job: ExecuteJob, executionId: string, timeoutMs: number, byCaller: boolean, signal: AbortSignal, io: ToolIo): Promise<void> {
    const reply = (env: object) => w.send({ t: 'toolReply', id: m.id, callId: m.callId, envelope: JSON.stringify(env) });
    const limits = job.limits;
    const cap = limits.maxToolPayloadBytes ?? MiB;
    if (!(limits.tools ?? []).includes(m.name)) return reply({ ok: false, security: true, message: toolNotAvailable(m.name) });
    if (!job.onToolCall) return reply({ ok: false, message: `tool "${m.name}" has no host implementation` });
    if (m.argsJson.length > cap) return reply({ ok: false, message: `tool "${m.name}": arguments exceed ${cap} bytes` });
    let args: JsonValue | undefined;
    try { args = m.argsJson === '' ? undefined : JSON.parse(m.argsJson) as JsonValue; } catch { return reply({ ok: false, message: `tool "${m.name}": arguments are not JSON` }); }
    // Its caller has gone (a cancel) or it has ended: a script that ran on in synchronous code past
    // its cancel (a worker it shares with parked neighbours is not killed for it) reaches nothing.
    if (signal.aborted) return reply({ ok: false, message: `tool "${m.name}" not called: ${(signal.reason as Error).message}` });
    const ctl = new AbortController();
    const onOuter = () => ctl.abort();
    signal.addEventListener('abort', onOuter, { once: true });
    let timer: NodeJS.Timeout | undefined;
    // Told as it is (it names the tool already), not as a failure of the tool's own.
    const timedOut = new Error(`tool "${m.name}" timed out after ${timeoutMs} ms${byCaller ? ": the calling script's time ran out" : ' (its operation_timeout)'}`);
    io.calls++;
    io.running.set(m.callId, m.name);
    try {
      const timeout = new Promise<never>((_, rej) => { timer = setTimeout(() => { ctl.abort(); rej(timedOut); }, timeoutMs); });
      const value = await Promise.race([
        job.onToolCall(m.name, args, {
          executionId, scriptId: job.scriptId, signal: ctl.signal, timeoutMs, byCaller,
          reportIo: (net: number, file: number) => { io.net += net; io.file += file; },
        }),
        timeout,
      ]);
      const json = value === undefined ? undefined : JSON.stringify(value);
      if (json !== undefined && Buffer.byteLength(json) > cap) return reply({ ok: false, message: `tool "${m.name}": result exceeds ${cap} bytes` });
      reply({ ok: true, json });
    } catch (e) {
      // Only the message crosses: host stacks (paths) never reach the script. A refusal on security
      // grounds stays one: left uncaught, it ends the execution as a security violation.
      const security = (e as { kind?: unknown } | undefined)?.kind === 'security_violation';
      reply({ ok: false, security, refused: security, message: e === timedOut ? timedOut.message : `tool "${m.name}" failed: ${String((e as Error)?.message ?? e).slice(0, 2000)}` });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onOuter);
      io.running.delete(m.callId);
    }
  }

  async function compile(source: string, opts: CompileOptions = {}, signal?: AbortSignal): Promise<CompileResult> {
    if (state !== 'running') throw new EngineError('ENGINE_STOPPED', 'the engine is not running', { retryAfterMs: 1000 });
    if (typeof source !== 'string') throw new EngineError('INVALID_ARGUMENT', 'source must be a string');
    const size = Buffer.byteLength(source);
    if (size > o.maxSourceBytes) throw new EngineError('INVALID_ARGUMENT', `source exceeds ${o.maxSourceBytes} bytes`, { resource: 'source', limit: o.maxSourceBytes });
    const t0 = performance.now();
    const language: ScriptLanguage = opts.language ?? 'javascript';
    const hash = sourceHash(source);
    const key = cacheKeyOf(hash, language, opts.kind);
    const hit = cache.get(key);
    if (hit) {
      c.cacheHits++;
      return { kind: hit.kind, language, diagnostics: hit.diagnostics, sourceHash: hash, cacheKey: key, cacheHit: true, compileTimeMs: performance.now() - t0, sourceSize: size };
    }
    if (signal?.aborted) throw new EngineError('CANCELLED', 'cancelled before it started');
    // A new source needs a compiler: none is given while the engine stops (refuseQueued).
    if (refusing) throw new EngineError('ENGINE_STOPPED', 'the engine is stopping; the source was not compiled', { retryAfterMs: 1000 });
    // The same source compiling already: share that compilation.
    const shared = compiling.get(key);
    if (shared) {
      if (caching) c.cacheHits++; else c.cacheMisses++;
      const r = await waitFor(shared, signal);
      return { ...r, cacheHit: caching, compileTimeMs: performance.now() - t0 };
    }
    return waitFor(compileNew(source, opts, language, hash, key, size, t0), signal);
  }

  /**
   * The compilation's result, or a CompileLeftError once the caller leaves first (`signal` aborts:
   * CANCELLED; the engine stops: refuseQueued); the last of its callers to leave abandons it.
   */
  function waitFor(f: InFlightCompile, signal: AbortSignal | undefined): Promise<CompileResult> {
    f.waiting++;
    return new Promise<CompileResult>((resolve, reject) => {
      const leave = (e: CompileLeftError) => {
        if (!f.leavers.delete(leave)) return;
        signal?.removeEventListener('abort', onAbort);
        reject(e);
        if (--f.waiting === 0) abandon(f);
      };
      const onAbort = () => leave(new CompileLeftError('CANCELLED', 'cancelled while its source waited to be compiled', f.result));
      f.leavers.add(leave);
      signal?.addEventListener('abort', onAbort, { once: true });
      f.result.then(resolve, reject).finally(() => {
        f.leavers.delete(leave);
        signal?.removeEventListener('abort', onAbort);
      });
    });
  }

  /** Nobody waits for the compilation any more: it stops taking a waiting caller's room, and its worker drops it if it has not begun it. */
  function abandon(f: InFlightCompile): void {
    if (f.done) return;
    f.abandoned = true;
    compilesInFlight--;
    compilesAbandoned++;
    // A later caller of the same source compiles it anew (admitted as any other), not waiting on one its worker may drop.
    if (compiling.get(f.key) === f) compiling.delete(f.key);
    // A compile's id is unique among the worker's messages, executions' included: 'cancel' names it alone.
    if (f.sentTo && !f.sentTo.w.dead) f.sentTo.w.send({ t: 'cancel', id: f.sentTo.id });
  }

  function compileNew(source: string, opts: CompileOptions, language: ScriptLanguage, hash: string, key: string, size: number, t0: number): InFlightCompile {
    // Compiles wait in the workers, so they are bounded like the execution queue: a flood of
    // distinct sources is refused, not held in memory.
    if (compileQueueFull()) {
      c.compilesRejected++;
      const left = compilesAbandoned > 0 ? `, and ${compilesAbandoned} whose callers left, waiting for a busy worker` : '';
      // They wait behind the script a worker's thread runs: retry once one is expected to be free.
      const retryAfterMs = Math.round(Math.min(30_000, Math.max(200, untilCompilerFreeMs())));
      const limit = `limit ${maxCompiles}: pool.max_queue${o.maxQueue < maxCompiles ? `, at least ${maxCompiles}` : ''}`;
      throw new EngineError('QUEUE_FULL', `too many compilations in progress (${compilesInFlight}${left}; ${limit})`, { retryAfterMs, resource: 'compile_queue', limit: o.maxQueue });
    }
    c.cacheMisses++;
    c.compilations++;
    compilesInFlight++;
    const f: InFlightCompile = { key, waiting: 0, leavers: new Set(), abandoned: false, done: false, result: undefined as never };
    // Bookkeeping happens before its callers hear back, so their next call sees the freed room.
    f.result = compileOn(f, source, opts, language, hash, size, t0).finally(() => {
      f.done = true;
      if (f.abandoned) compilesAbandoned--; else compilesInFlight--;
      if (compiling.get(key) === f) compiling.delete(key);
      wakeIfIdle();
    });
    // Abandoned, it has nobody to fail to.
    f.result.catch(() => {});
    compiling.set(key, f);
    return f;
  }

  async function compileOn(f: InFlightCompile, source: string, opts: CompileOptions, language: ScriptLanguage, hash: string, size: number, t0: number): Promise<CompileResult> {
    const msg = { t: 'compile' as const, id: ++msgSeq, source, language, kind: opts.kind, filename: safeFilename(opts.filename, language) };
    const gone = () => new EngineError('CANCELLED', 'every caller of the compilation left before it was sent to a worker');
    let r;
    // Compiling is pure: when the worker is replaced meanwhile (most often to stop another caller's
    // cancelled script it was running), compile again on a ready worker, within the compile's own
    // deadline; a source that takes workers down itself gives up after a few.
    const deadline = performance.now() + o.compileTimeoutMs;
    // Waiting for a ready worker (none while the replacements start) counts against that deadline too.
    const noWorker = () => new EngineError('TIMEOUT',
      `the compilation was not done within ${o.compileTimeoutMs} ms: no worker was ready (workers were being replaced); try again`, { retryAfterMs: 1000 });
    for (let attempt = 1; ; attempt++) {
      try {
        if (f.abandoned) throw gone();
        const w = await readyWorker(deadline, noWorker);
        if (f.abandoned) throw gone();
        const id = attempt === 1 ? msg.id : ++msgSeq;
        f.sentTo = { w, id };
        r = await w.compile({ ...msg, id }, Math.max(1, deadline - performance.now()));
        break;
      } catch (e) {
        // Its worker stopped with the engine (the grace's end): said of a compilation, not of an execution.
        if (e instanceof EngineError && e.reason === 'ENGINE_STOPPED') throw new EngineError('ENGINE_STOPPED', 'the engine stopped before the compilation ended', { retryAfterMs: 1000 });
        if (!(e instanceof EngineError) || e.reason !== 'WORKER_CRASHED' || f.abandoned || attempt >= MAX_COMPILE_ATTEMPTS || performance.now() >= deadline) throw e;
      }
    }
    if (!r.ok || !r.info) {
      const e = r.error ?? { message: 'compile failed', line: 0, column: 0 };
      if (e.memoryLimitBytes !== undefined) throw new EngineError('RESOURCE_EXCEEDED', e.message, { resource: 'memory', limit: e.memoryLimitBytes });
      throw new CompileError(e.message, e.line, e.column);
    }
    keep(f.key, { ...r.info, language });
    return { kind: r.info.kind, language, diagnostics: r.info.diagnostics, sourceHash: hash, cacheKey: f.key, cacheHit: false, compileTimeMs: performance.now() - t0, sourceSize: size };
  }

  function stats(): EngineStats {
    return {
      state,
      executionsTotal: c.total,
      executionsSucceeded: c.ok,
      executionsFailed: c.failed,
      rejected: c.rejected,
      compilesRejected: c.compilesRejected,
      latencyP50Ms: percentile(50),
      latencyP95Ms: percentile(95),
      latencyP99Ms: percentile(99),
      averageExecutionMs: c.timed ? c.execTimeSum / c.timed : 0,
      active: c.activeCounted,
      queueLength: queue.length,
      compilesInFlight,
      compilesAbandoned,
      compileQueueFull: compileQueueFull(),
      poolSize: pool.length * o.isolatesPerWorker,
      busyIsolates: pool.reduce((n, w) => n + w.running, 0),
      // No worker would take an execution now (running ones, or parked ones past max_parked or the RSS share).
      poolFull: !pool.some((w) => !w.dead && hasRoom(w, o.defaultMemoryMb)),
      parkedExecutions: pool.reduce((n, w) => n + w.parked.size, 0),
      workers: pool.length,
      isolateRecycles: c.recyclesOfDead + pool.reduce((n, w) => n + w.recycles, 0),
      workerRestarts: c.workerRestarts,
      cacheSize: cache.size,
      cacheHits: c.cacheHits,
      cacheMisses: c.cacheMisses,
      compilations: c.compilations,
      workersRssBytes: pool.reduce((n, w) => n + w.rss, 0),
      workersCpuMs: c.cpuMsOfDead + pool.reduce((n, w) => n + w.cpuMs, 0),
      // Past failure_window when read too: the watchdog that prunes them does not run while stopped.
      recentWorkerFailures: failures.filter((at) => at >= Date.now() - o.failureWindowMs).length,
      sentAhead: c.sentAhead,
      handedBack: c.handedBack,
      codeByReference: c.codeByReference,
      codeResent: c.codeResent,
      uptimeMs: state === 'stopped' ? 0 : Date.now() - startedAt,
    };
  }

  function workers(): WorkerInfo[] {
    return pool.map((w) => ({ workerId: w.id, pid: w.pid, busy: w.busy, capacity: w.capacity, rssBytes: w.rss, isolates: w.isolates || w.capacity }));
  }

  return { start, close, refuseQueued, idle, compile, execute, invalidate: (k) => cache.delete(k), stats, workers };
}
