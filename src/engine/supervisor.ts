/**
 * Supervision of one worker process: fork, IPC, heartbeat, and kill. The pool (pool.ts) decides
 * when to kill (hang, RSS budget, a cancel not stopped), with this file's measures of a worker
 * (hungPast, ranOn), and replaces dead workers; a worker whose stderr shows V8's heap exhausted is
 * killed here, at once (beside a running compilation, once its compile isolate has had a moment to
 * say it was its own). This file owns the process lifecycle and fails every in-flight request of a
 * dead worker with WORKER_CRASHED (ENGINE_STOPPED when the engine shut it down), save those it hands
 * back to run again (see fail()).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { LRUCache } from 'lru-cache';
import { existsSync, readFileSync } from 'node:fs';
import { EngineError } from './errors.ts';
import {
  COMPILE_MEMORY_MB, COMPILE_MEMORY_MESSAGE, wallLimitOf, type CompiledMsg, type CompileMsg, type ExecMsg, type HostToWorker, type ResultMsg, type ToolMsg, type WorkerToHost,
} from './protocol.ts';
import type { ExecutionError, WorkerExit } from './types.ts';
import { stderrLines } from './worker-stderr.ts';

const WORKER_ENTRY = new URL('./worker.ts', import.meta.url);

export interface WorkerSpawnOptions {
  workerId: string;
  isolates: number;
  recycleAfter: number;
  maxOldSpaceMb: number;
  testHooks: boolean;
  defaultMemoryMb: number;
  /** Bytes of compiled code the worker keeps by cache key (sent once, then by reference). */
  codeCacheBytes: number;
  /** Executions it may hold parked, waiting on tools or timers, while it runs others. */
  maxParked: number;
  /** How long it keeps an extra isolate idle. */
  idleSlotMs: number;
  /** Its isolates keep compiled Scripts for later runs; false (no compile cache): every run compiles. */
  keepScripts?: boolean;
  /** Each line it writes to stderr; without it, a JSON line of its own on the server's stderr. */
  onStderrLine?: (line: string) => void;
}

/** Cache keys whose code was sent to a worker (the worker keeps at most this many, oldest out first). */
const KNOWN_CODE_ENTRIES = 256;

/** What became of the executions (and compilations) a dead worker held. */
type Held = Pick<WorkerExit, 'failed' | 'blamed' | 'requeued' | 'rerun' | 'blamedCompile'>;

export interface InFlightExec {
  msg: ExecMsg;
  /**
   * Host deadline: the worker must answer before this (wall limit + grace) or it is considered hung.
   * Infinity while the execution waits queued in the worker behind another one (not started).
   */
  deadline: number;
  /**
   * False while queued in the worker behind another execution (sent ahead, see pool.ts), and for a
   * tool run (`msg.nested`) until the worker says it began it (BeganMsg): sent while guest code holds
   * the worker's thread, it waits unread in the pipe, and runs nothing meanwhile.
   */
  started: boolean;
  /** performance.now() when the worker began it. */
  startedAt: number;
  graceMs: number;
  /** The worker's CPU time (cpuNow()) when the watchdog first saw it past its time limit (hungPast()). */
  cpuAtLimit?: number;
  resolve: (r: ResultMsg) => void;
  reject: (e: Error) => void;
  onTool: (m: ToolMsg) => void;
  /** The worker began it: at once, or (sent ahead) when the execution in front of it has answered. */
  onStart?: () => void;
  /** The worker dropped it unstarted (it was cancelled while queued there). */
  onDropped?: () => void;
  /** The worker no longer has its code (sent by reference): resend it; false when no longer wanted. */
  onNeedCode?: () => boolean;
  /**
   * Handed back instead of failed: the worker died before starting it (it never ran), or, started, of
   * another execution's doing while mayRerun() said it may run again.
   */
  onRequeue?: () => void;
  /**
   * Whether it may run again from scratch now that its worker died of another execution's doing: it
   * did nothing outside its isolate (no tool call), has not been run again before, and has time left.
   */
  mayRerun?: () => boolean;
  /** A registered tool's run (`msg.nested`): the id here of the execution that called it. */
  parentId?: number;
}

export interface ExecOptions {
  /** Sent ahead, behind the execution this worker is running; starts when that one answers. */
  queued?: boolean;
  onStart?: () => void;
  onDropped?: () => void;
  onNeedCode?: () => boolean;
  onRequeue?: () => void;
  mayRerun?: () => boolean;
  parentId?: number;
}

/**
 * Which executions a worker's death is their own doing: each one named gets its error as its
 * outcome (a limit breach, not retryable); the others the worker held fail with WORKER_CRASHED.
 * `compile`: the compilation that did it instead (its compile isolate ran out of memory, or, with
 * `compileBudgetBytes`, it took the worker past that memory budget). `compileSuspect`: nobody is
 * blamed, but a compilation the worker had begun may have done it.
 */
export type Blame = ((id: number, f: InFlightExec) => ExecutionError | undefined) & { compile?: number; compileBudgetBytes?: number; compileSuspect?: true };

/**
 * The worker's stderr shows that V8 ran out of memory (a fatal error that aborts the process). V8
 * may die while printing that report (a SIGSEGV after "<--- Last few GCs --->" and nothing more):
 * the report's heading is enough. A builtin asked for a result past what V8 can size aborts too
 * (SIGTRAP, "Fatal JavaScript invalid size error" or "… invalid array length": `"x".repeat(2**28)
 * .split("")`), before any heap limit is reached: the same breach of the script's memory.
 */
const FATAL_OOM = /out of memory|invalid table size|Fatal JavaScript invalid (?:size error|array length)|is_heap_oom = \d|Reached heap limit|Last few GCs/i;

/** Whether a dead worker's last stderr says V8 ran out of memory (then the running script is blamed). */
export function diedOutOfMemory(stderrTail: string): boolean { return FATAL_OOM.test(stderrTail); }
/**
 * V8's report that an isolate's heap is exhausted (printed just before its out-of-memory handler) on a
 * worker still alive: isolated-vm's handler parks the isolate's thread for good and hands the error to
 * the worker's main thread, which, blocked in the synchronous call running that script, never takes it.
 * The worker hung to the script's deadline and grace (a Map filled in a loop), told as a TIMEOUT; read
 * as it is written, it ends the worker at once, the script holding its thread blamed for its memory.
 */
const HEAP_EXHAUSTED = /<--- Last few GCs --->/;
/**
 * What isolated-vm writes, from the isolate's own thread, when an isolate without onCatastrophicError
 * runs out of memory, just before it aborts the process: in a worker, only its compile isolate.
 */
const COMPILE_OOM = /is_heap_oom = \d\s*<--- Heap statistics --->/;
/**
 * How long V8's report beside a running compilation waits for the compile isolate's words (written
 * at once, on the thread that printed the report) before it is taken as the script's.
 */
const COMPILE_OOM_WAIT_MS = 500;
const STDERR_TAIL = 8192;

interface InFlightCompile {
  resolve: (r: CompiledMsg) => void;
  reject: (e: Error) => void;
  deadline: number;
  timeoutMs: number;
}

let pageSize = 4096;
/** Whether /proc gives a process's CPU time (Linux). */
const PROC_CPU = existsSync('/proc/self/stat');

/**
 * The share of a worker's RSS budget the pool fills with executions by their memory limits (pool.ts
 * hasRoom); the rest is the worker's own and what limits do not count (code, buffers in flight).
 */
export const ROOM_SHARE = 0.75;

export class WorkerHandle {
  readonly id: string;
  readonly capacity: number;
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly startedAt = Date.now();
  lastHeartbeat = Date.now();
  rss = 0;
  recycles = 0;
  /** Execution isolates the worker holds (heartbeat). */
  isolates = 0;
  /** The memory limit (MiB) of the worker's isolate once what it was sent has run (single-isolate workers). */
  memoryMb: number;
  dead = false;
  isReady = false;
  deathReason = '';
  #blame: Blame | undefined;
  /** Set by shutdown(): the engine stopped this worker, so what it still held fails with this, not WORKER_CRASHED. */
  #stoppedWith: (() => EngineError) | undefined;
  /** The last bytes the worker wrote to stderr (passed on to ours): why it died, when it crashed. */
  #stderrTail = '';
  readonly execs = new Map<number, InFlightExec>();
  /** Executions running here that wait on the host (tools, timers) and hold no thread (ParkedMsg). */
  readonly parked = new Set<number>();
  /** Parked executions whose guest code runs again (a timer fired, a tool replied; ResumedMsg): they hold a thread. */
  readonly #resumed = new Set<number>();
  /**
   * Executions waiting on the host in their own slot (ParkedMsg `keptSlot`: the worker's parked room
   * was full): not in `parked`, as they still take their slot, but holding no thread either.
   */
  readonly #keptSlot = new Set<number>();
  /** Room opened up in this worker without a result (an execution parked): the pool may send more. */
  onCapacity: (() => void) | undefined;
  /** Cache keys whose code this worker was sent: later executions send only the key. */
  readonly #knownCode = new LRUCache<string, true>({ max: KNOWN_CODE_ENTRIES });
  readonly compiles = new Map<number, InFlightCompile>();
  /**
   * Compilations the worker said it began (CompilingMsg) and has not answered: kept until it answers,
   * not until the host gives up on one (expireCompiles), since the worker compiles on regardless.
   */
  readonly #compiling = new Set<number>();
  /**
   * The worker's death was blamed on nobody while a compilation it had begun may have caused it (see
   * blameMemory): a caller's doing as likely as not, so the pool does not count it toward health.
   */
  compileSuspected = false;
  onExit: ((w: WorkerHandle, reason: string, held: Held) => void) | undefined;

  constructor(opts: WorkerSpawnOptions) {
    this.id = opts.workerId;
    this.capacity = opts.isolates;
    this.memoryMb = opts.defaultMemoryMb;
    this.child = fork(WORKER_ENTRY, [], {
      serialization: 'advanced',
      // Started through sh to set its core file limit to 0 (Node cannot set rlimits), then exec'd as
      // node in the same process: a compilation's out-of-memory aborts the worker (SIGABRT), and where
      // the host allows core files each abort a script provokes would leave one of the worker's size.
      execPath: '/bin/sh',
      execArgv: [
        '-c', 'ulimit -c 0 && exec "$0" "$@"', process.execPath,
        '--no-node-snapshot',
        `--max-old-space-size=${opts.maxOldSpaceMb}`,
        '--disable-warning=ExperimentalWarning',
      ],
      // Never the host's environment: the worker gets only what it needs.
      env: {
        PATH: process.env.PATH ?? '',
        // Node's on-disk compile cache of the worker's own modules (faster starts), where one is set.
        ...(process.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE } : {}),
        SE_WORKER_ID: opts.workerId,
        SE_ISOLATES: String(opts.isolates),
        SE_RECYCLE_AFTER: String(opts.recycleAfter),
        SE_DEFAULT_MEMORY_MB: String(opts.defaultMemoryMb),
        SE_CODE_CACHE_BYTES: String(opts.codeCacheBytes),
        SE_MAX_PARKED: String(opts.maxParked),
        SE_IDLE_SLOT_MS: String(opts.idleSlotMs),
        ...(opts.keepScripts === false ? { SE_KEEP_SCRIPTS: '0' } : {}),
        ...(opts.testHooks ? { SE_TEST_HOOKS: '1' } : {}),
        // Tests only: a type stripper as slow to start as on a busy machine (type-strip-thread.ts).
        ...(opts.testHooks && process.env.SE_TEST_STRIPPER_START_DELAY_MS ? { SE_TEST_STRIPPER_START_DELAY_MS: process.env.SE_TEST_STRIPPER_START_DELAY_MS } : {}),
      },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // The server's stderr is its JSON log: each line the worker writes becomes one log line there.
    const lines = stderrLines(opts.onStderrLine ?? ((line) => process.stderr.write(
      JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg: 'worker stderr', worker: this.id, line }) + '\n')));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      lines.write(chunk);
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
      if (!this.dead && HEAP_EXHAUSTED.test(this.#stderrTail)) {
        // A compilation running here whose isolate ran out says so next (COMPILE_OOM): waited for a moment.
        if (this.#compiling.size > 0 && !COMPILE_OOM.test(this.#stderrTail)) this.#reportWait ??= setTimeout(() => this.#heapExhausted(), COMPILE_OOM_WAIT_MS);
        else this.#heapExhausted();
      }
    });
    this.child.stderr!.on('end', () => lines.end());
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => { readyResolve = res; readyReject = rej; });
    this.ready.catch(() => {});
    this.child.on('message', (m: WorkerToHost) => {
      this.lastHeartbeat = Date.now();
      switch (m.t) {
        case 'ready': this.isReady = true; readyResolve(); break;
        case 'hb': this.rss = m.rss; this.recycles = m.recycles; this.isolates = m.isolates; break;
        case 'result': {
          const f = this.execs.get(m.id);
          this.parked.delete(m.id);
          this.#resumed.delete(m.id);
          this.#keptSlot.delete(m.id);
          if (f) { this.execs.delete(m.id); f.resolve(m); }
          this.startQueued();
          break;
        }
        case 'parked':
          if (this.execs.has(m.id) && m.keptSlot) this.#keptSlot.add(m.id);
          else if (this.execs.has(m.id)) {
            this.parked.add(m.id);
            this.startQueued();
            this.onCapacity?.();
          }
          break;
        case 'resumed':
          if (!this.execs.has(m.id)) break;
          if (m.running) this.#resumed.add(m.id);
          else this.#resumed.delete(m.id);
          break;
        case 'needCode': {
          // Resent with its code, or, no longer wanted (cancelled meanwhile), dropped here.
          const f = this.execs.get(m.id);
          if (f && !f.onNeedCode?.()) this.#dropped(m.id, f);
          break;
        }
        case 'dropped': {
          const f = this.execs.get(m.id);
          if (f) this.#dropped(m.id, f);
          break;
        }
        case 'began': {
          const f = this.execs.get(m.id);
          if (f && !f.started) this.#begin(f);
          break;
        }
        case 'compiling': this.#compiling.add(m.id); break;
        case 'compiled': {
          this.#compiling.delete(m.id);
          const f = this.compiles.get(m.id);
          if (f) { this.compiles.delete(m.id); f.resolve(m); }
          break;
        }
        case 'tool': this.execs.get(m.id)?.onTool(m); break;
      }
    });
    // 'close', not 'exit': by then everything the worker wrote to stderr has been read.
    this.child.on('close', (code, signal) => {
      clearTimeout(this.#reportWait);
      let reason = this.deathReason;
      if (!reason) {
        const oom = diedOutOfMemory(this.#stderrTail);
        reason = oom ? `ran out of memory (${signal ?? `code ${code}`})` : `exited (${signal ?? `code ${code}`})`;
        // V8 aborts the whole process when an isolate outgrows what it can hold inside one builtin
        // (a hash table or an array past its maximum size): that is the running script's memory limit.
        if (oom) this.#blame = this.blameMemory({ report: true });
        else this.#blame = this.blameDiedOverdue(performance.now());
      }
      readyReject(new EngineError('WORKER_CRASHED', `worker ${this.id} ${reason}`));
      this.fail(reason);
    });
    this.child.on('error', () => { /* exit follows */ });
  }

  get pid(): number | undefined { return this.child.pid; }

  #reportWait: NodeJS.Timeout | undefined;

  /** V8 reported an isolate's heap exhausted: the worker is ended at once, its culprit blamed for its memory. */
  #heapExhausted(): void {
    clearTimeout(this.#reportWait);
    if (this.dead) return;
    const blame = this.blameMemory({ report: true });
    this.kill(`ran out of memory (${blame.compile === undefined ? 'its heap was exhausted' : "a compilation exhausted its compile isolate's heap"})`, blame);
  }

  /**
   * An execution starting here may hold the worker's thread for as long as its budgets allow, and
   * the parked ones wait on that thread (their timers, their tool replies): their host deadlines
   * move by as much, so a worker is not taken for hung because a neighbour ran its full budget. So
   * do those of executions a single-isolate worker was sent but may not have begun when a tool run
   * begins (BeganMsg): the worker begins tool runs ahead of the executions queued there (its callers
   * wait on them), from the same setImmediate.
   */
  #mayBlockParked(starting: ExecMsg): void {
    const aheadToo = starting.nested === true && this.capacity === 1;
    if (this.parked.size === 0 && this.#keptSlot.size === 0 && !aheadToo) return;
    const block = Math.min(starting.limits.cpuBudgetMs, starting.limits.wallTimeoutMs);
    for (const [id, f] of this.execs) {
      if (f.msg === starting || !f.started) continue;
      if (!this.parked.has(id) && !this.#keptSlot.has(id) && !(aheadToo && !f.msg.nested)) continue;
      // Its limit moves too: the CPU the starting one spends is not this one's to answer for.
      f.deadline += block;
      f.cpuAtLimit = undefined;
    }
  }

  /** An execution the worker will not run (it dropped it unstarted): its place there is free. */
  #dropped(id: number, f: InFlightExec): void {
    this.execs.delete(id);
    this.parked.delete(id);
    this.#resumed.delete(id);
    this.#keptSlot.delete(id);
    f.onDropped?.();
    this.startQueued();
  }

  /** Whether this worker was sent `key`'s code (and still should have it); marks it recently used. */
  hasCode(key: string): boolean { return this.#knownCode.get(key) === true; }
  codeSent(key: string): void { this.#knownCode.set(key, true); }
  codeLost(key: string): void { this.#knownCode.delete(key); }
  /** Executions held by this worker, running or queued in it. */
  get busy(): number { return this.execs.size; }
  /** Executions the worker has started (a single-isolate worker runs one at a time). */
  get running(): number {
    let n = 0;
    for (const [, f] of this.execs) if (f.started) n++;
    return n;
  }
  /** Started executions that are not parked: the ones holding an isolate's thread. */
  get active(): number { return this.running - this.parked.size; }

  /**
   * A worker runs what it holds in arrival order: when a slot frees up (a result, a queued one
   * dropped, or a running one parked), the oldest queued execution starts there, and its host
   * deadline starts now. A tool run begins when the worker says so (BeganMsg), not in a slot.
   */
  private startQueued(): void {
    let free = this.capacity - this.active;
    if (free <= 0) return;
    for (const [, f] of this.execs) {
      if (f.started || f.msg.nested) continue;
      this.#begin(f);
      if (--free <= 0) return;
    }
  }

  /** The worker starts `f` now: its host deadline runs from here. */
  #begin(f: InFlightExec): void {
    f.started = true;
    f.startedAt = performance.now();
    f.deadline = Date.now() + f.msg.limits.wallTimeoutMs + f.graceMs;
    this.#mayBlockParked(f.msg);
    f.onStart?.();
  }

  send(msg: HostToWorker): void {
    if (this.dead || !this.child.connected) return;
    try { this.child.send(msg); } catch { /* channel closed: exit handler fails the request */ }
  }

  exec(msg: ExecMsg, graceMs: number, onTool: (m: ToolMsg) => void, opts: ExecOptions = {}): Promise<ResultMsg> {
    if (this.dead) return Promise.reject(new EngineError('WORKER_CRASHED', `worker ${this.id} is gone`, { workerId: this.id }));
    if (!msg.nested) this.memoryMb = msg.limits.memoryMb;
    return new Promise<ResultMsg>((resolve, reject) => {
      const f: InFlightExec = {
        msg, deadline: Infinity, started: false, startedAt: 0, graceMs,
        resolve, reject, onTool, onStart: opts.onStart, onDropped: opts.onDropped, onNeedCode: opts.onNeedCode, onRequeue: opts.onRequeue,
        mayRerun: opts.mayRerun, parentId: opts.parentId,
      };
      this.execs.set(msg.id, f);
      // A tool run begins when the worker says it has (BeganMsg): sent while guest code holds the
      // worker's thread (its own caller's, after an unawaited call, or another's), it waits unread.
      if (opts.queued !== true && !msg.nested) this.#begin(f);
      this.send(msg);
    });
  }

  compile(msg: CompileMsg, timeoutMs: number): Promise<CompiledMsg> {
    if (this.dead) return Promise.reject(new EngineError('WORKER_CRASHED', `worker ${this.id} is gone`, { workerId: this.id }));
    return new Promise<CompiledMsg>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      this.compiles.set(msg.id, { resolve, reject, deadline, timeoutMs });
      this.send({ ...msg, expiresAt: deadline });
    });
  }

  /** Fails the compilations past their deadline (the worker's answer, if it ever comes, finds none). */
  expireCompiles(now: number, error: (waitedMs: number) => Error): void {
    for (const [id, f] of this.compiles) {
      if (now <= f.deadline) continue;
      this.compiles.delete(id);
      f.reject(error(f.timeoutMs));
    }
  }

  /** CPU time (user + system) the worker has used, in ms, as last read (readCpuMs(), cpuNow()). */
  cpuMs = 0;

  /** CPU time read from /proc/<pid>/stat (in clock ticks of 10 ms), kept in cpuMs; the last reading if it cannot be read. */
  readCpuMs(): number { return (this.cpuMs = this.#procCpuMs() ?? this.cpuMs); }

  #procCpuMs(): number | undefined {
    if (!this.child.pid) return undefined;
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return Number.isFinite(ticks) ? ticks * 10 : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The CPU time the worker has used (ms), read now: what tells a worker that runs on (guest code it
   * cannot stop) from one the machine holds off the CPU, which has failed at nothing. Without /proc
   * (not Linux) it is the wall clock, so a grace measured with it is wall time, as it was; a reading
   * that fails (the process exiting) is the last one.
   */
  cpuNow(): number { return PROC_CPU ? this.readCpuMs() : performance.now(); }

  /**
   * Whether the worker, since `cpuMark` (cpuNow()) and a grace of `graceMs`, has run on: had at least
   * half that grace on the CPU (a worker stopping what it was told to answers within milliseconds
   * of it). One the machine held off the CPU has not, and has failed at nothing.
   */
  ranOn(cpuMark: number, graceMs: number, cpu = this.cpuNow()): boolean { return cpu - cpuMark >= graceMs / 2; }

  /**
   * Whether the worker is hung on an execution past its host deadline (its time limit plus grace):
   * since that limit passed it has run on (ranOn()) without answering (guest code deaf to
   * termination), or it has let `silenceMs` more pass (a process stopped or deadlocked uses no CPU).
   * A worker (or a host) held off the CPU on a loaded machine is neither: it answers once it runs.
   * The first call past an execution's limit marks the CPU time it is measured from. One parked
   * behind another holding the thread (heldBehind) is not measured until that one lets go (the pool
   * answers its caller meanwhile): that one is, by its own deadline, and its CPU is not this one's.
   * Hung: how that was known (for the log line and the failed callers); else undefined.
   */
  hungPast(now: number, silenceMs: number): string | undefined {
    let cpu: number | undefined;
    for (const [id, f] of this.execs) {
      if (!f.started || now < f.deadline - f.graceMs) continue;
      if (this.heldBehind(id)) { f.cpuAtLimit = undefined; continue; }
      cpu ??= this.cpuNow();
      f.cpuAtLimit ??= cpu;
      if (now <= f.deadline) continue;
      const ran = this.ranOn(f.cpuAtLimit, f.graceMs, cpu);
      if (!ran && now <= f.deadline + silenceMs) continue;
      const past = ((now - f.deadline + f.graceMs) / 1000).toFixed(1);
      return ran
        ? `ran ${((cpu - f.cpuAtLimit) / 1000).toFixed(1)} s of CPU in the ${past} s since its time limit without answering`
        : `answered nothing in the ${past} s since its time limit`;
    }
    return undefined;
  }

  /** Resident set size read from /proc (works even when the worker is hung); falls back to the heartbeat. */
  readRss(): number {
    if (!this.child.pid) return this.rss;
    try {
      const statm = readFileSync(`/proc/${this.child.pid}/statm`, 'utf8').split(' ');
      return Number(statm[1]) * pageSize;
    } catch {
      return this.rss;
    }
  }

  /**
   * The worker ran out of memory (`report`: V8 said so, or aborted; else its RSS budget of
   * `budgetBytes` was passed): that is the memory limit of the execution holding its thread, when
   * exactly one does and no compilation is running here, or that of the compilation running here,
   * when no execution holds a thread. A compilation runs in an isolate of its own, on a thread of its
   * own, from when the worker says it began it (one at a time) until it answers, even after the host
   * gave up on it; those queued behind it have not run and are no suspects. V8's report does not say
   * which isolate ran out, but the compile isolate's says so next (COMPILE_OOM): with V8's report,
   * the running compilation is blamed when it did, and is no suspect when it did not. Past an RSS
   * budget with both suspects, either may have done it: none is blamed, and the death is marked
   * `compileSuspect`.
   */
  blameMemory(opts: { budgetBytes?: number; report?: boolean } = {}): Blame {
    const budgetBytes = opts.budgetBytes;
    const compileOom = COMPILE_OOM.test(this.#stderrTail);
    const running = compileOom ? [] : [...this.execs].filter(([id, f]) => this.#holdsThread(id, f));
    const compiling = opts.report && !compileOom ? [] : [...this.#compiling];
    let culprit = running.length === 1 && compiling.length === 0 ? running[0]![0] : undefined;
    // Past the RSS budget, the holder is the culprit only when what else the worker holds could not
    // have filled it. The pool gives executions room by their memory limits up to ROOM_SHARE of the
    // budget, but tool runs (nested) start here unasked: with the limits of the others started here
    // above that room, the holder's part cannot be told from theirs (a caller's parked tool runs got
    // an ordinary neighbour blamed for its memory, and struck).
    if (culprit !== undefined && budgetBytes !== undefined) {
      let othersMb = 0;
      for (const [id, f] of this.execs) if (id !== culprit && f.started) othersMb += f.msg.limits.memoryMb;
      if (othersMb * 1048576 > budgetBytes * ROOM_SHARE) culprit = undefined;
    }
    const blame: Blame = (id, f) => (id === culprit ? memoryLimitError(f.msg) : undefined);
    if (running.length === 0 && compiling.length === 1) {
      blame.compile = compiling[0];
      if (budgetBytes !== undefined) blame.compileBudgetBytes = budgetBytes;
    } else if (compiling.length > 0 || compileOom) blame.compileSuspect = true;
    return blame;
  }

  /**
   * The worker is hung: guest code inside one long builtin cannot be interrupted. The executions
   * holding a thread past their deadline are over their time limit, not lost.
   */
  blameOverdue(now: number): Blame {
    return (id, f) => (this.#holdsThread(id, f) && now > f.deadline ? uninterruptibleTimeout(f.msg) : undefined);
  }

  /**
   * The worker died by itself while the one execution holding its thread was past its time limit (CPU
   * or wall clock, whichever the worker stops it at first): the worker was stopping guest code deaf to
   * termination (a long builtin), which isolated-vm ends by taking the process down (SIGSEGV) seconds
   * later. That is the script's timeout, not a fault of the worker.
   */
  blameDiedOverdue(now: number): Blame {
    const running = [...this.execs].filter(([id, f]) => this.#holdsThread(id, f));
    const only = running.length === 1 ? running[0]! : undefined;
    const culprit = only && now - only[1].startedAt >= timeLimitMs(only[1].msg) - OVERDUE_MARGIN_MS ? only[0] : undefined;
    return (id, f) => (id === culprit ? uninterruptibleTimeout(f.msg, f.msg.limits.cpuBudgetMs < f.msg.limits.wallTimeoutMs ? 'CPU time' : 'wall-clock') : undefined);
  }

  /**
   * The worker is replaced because a cancelled execution would not stop (guest code holding its
   * thread): the caller's cancel did it, not a fault of the worker, so it is not counted as one.
   */
  blameCancelled(execId: number): Blame {
    return (id) => (id === execId ? { kind: 'cancelled', name: 'CancelledError', stack: '', line: 0, column: 0, message: 'the execution was cancelled (its worker was replaced to stop it)' } : undefined);
  }

  /**
   * Whether execution `id` waits parked (or in its kept slot; no delivery running) on a single-isolate worker whose one
   * thread another execution holds: guest code runs there synchronously, so the worker reads nothing,
   * fires no timer, and cannot answer `id` (its time limit included) until that one lets go.
   */
  heldBehind(id: number): boolean {
    if (this.capacity !== 1 || !this.execs.has(id) || (!this.parked.has(id) && !this.#keptSlot.has(id)) || this.#resumed.has(id)) return false;
    // Its own tool run is no other's: it is bounded by what is left of its call's time, and one
    // that takes the worker down is its breach, told as such (toolRunBreach).
    for (const [other, f] of this.execs) if (other !== id && f.parentId !== id && this.#holdsThread(other, f)) return true;
    return false;
  }

  /** Started and not waiting (parked, or in its kept slot), or waiting while its guest code runs again (a delivery: the worker says so). */
  #holdsThread(id: number, f: InFlightExec): boolean {
    return f.started && ((!this.parked.has(id) && !this.#keptSlot.has(id)) || this.#resumed.has(id));
  }

  kill(reason: string, blame?: Blame): void {
    if (this.dead) return;
    clearTimeout(this.#reportWait);
    this.deathReason = reason;
    this.#blame = blame;
    try { this.child.kill('SIGKILL'); } catch { /* gone */ }
    // The exit event completes the failure; fail now too so callers are not kept waiting.
    this.fail(reason);
  }

  private fail(reason: string): void {
    const first = !this.dead;
    this.dead = true;
    const err = (what: 'execution' | 'compilation') => this.#stoppedWith?.() ?? new EngineError('WORKER_CRASHED', `worker ${this.id} ${reason}; the ${what} did not complete (retryable)`, { workerId: this.id });
    // Only executions the worker had started fail; one still queued in it never ran and is handed back,
    // save a tool run (not begun, it is blamed for nothing), which fails: its caller died with the worker.
    // Blame is decided while the worker's state (which ones were parked) is still known.
    const execs = [...this.execs].map(([id, f]) => ({ id, f, own: f.started ? this.#blame?.(id, f) : undefined }));
    // A registered tool's run that took the worker down did so on its caller's behalf, with the
    // caller's arguments: the calling script gets the breach as its own outcome (not a retryable
    // WORKER_CRASHED a client would repeat), and the worker-kill breaker strikes its principal.
    for (const run of execs) {
      const caller = run.own && run.f.parentId !== undefined ? execs.find((e) => e.id === run.f.parentId) : undefined;
      if (caller?.f.started && !caller.own) caller.own = toolRunBreach(run.f.msg, run.own!);
    }
    this.execs.clear();
    this.parked.clear();
    this.#resumed.clear();
    this.#keptSlot.clear();
    // Taken down by one of them (a builtin deaf to termination, its memory), the worker failed the
    // others through no fault of theirs: a started one that did nothing outside its isolate may run
    // again from scratch, once. Without a culprit the cause is unknown and may be any of them.
    const culprit = execs.some(({ own }) => own !== undefined) || this.#blame?.compile !== undefined;
    if (first) this.compileSuspected = !culprit && this.#blame?.compileSuspect === true;
    const handBack = execs
      .filter(({ f, own }) => f.onRequeue && ((!f.started && !f.msg.nested) || (culprit && own === undefined && f.mayRerun?.() === true)))
      .map(({ f }) => f);
    const rerun = handBack.filter((f) => f.started).length;
    const held: Held = { failed: 0, blamed: [], requeued: handBack.length - rerun, rerun, ...(this.#blame?.compile !== undefined && { blamedCompile: true }) };
    for (const { id, f, own } of execs) {
      if (handBack.includes(f)) continue;
      if (own) {
        held.blamed.push({ executionId: executionIdOf(f.msg), kind: own.kind });
        f.resolve(this.#limitResult(id, f, own));
      } else {
        held.failed++;
        f.reject(err('execution'));
      }
    }
    // Each goes back to the head of the queue: the last first, so they keep their order.
    for (const f of handBack.reverse()) f.onRequeue!();
    for (const [id, f] of this.compiles) {
      // Its own breach: answered as the worker answers a compile that ran out of memory, not compiled
      // again. (One the host had given up on was answered then: its breach is still no one else's.)
      if (id === this.#blame?.compile) f.resolve({ t: 'compiled', id, ok: false, error: compileBreach(this.#blame.compileBudgetBytes) });
      else f.reject(err('compilation'));
    }
    this.compiles.clear();
    this.#compiling.clear();
    if (first) this.onExit?.(this, reason, held);
  }

  /** The outcome of an execution that took its worker down by breaching a limit. */
  #limitResult(id: number, f: InFlightExec, error: ExecutionError): ResultMsg {
    return {
      t: 'result', id,
      outcome: {
        ok: false, error, stdout: '', stderr: '', executionTimeMs: performance.now() - f.startedAt,
        memoryBytes: error.kind === 'memory_limit' ? f.msg.limits.memoryMb * 1048576 : 0,
        cpuPercentage: 0, operationsCount: 0, isolateId: `${this.id}/replaced`,
      },
    };
  }

  /**
   * Ends the worker for good: it exits once its thread is free (killed after 2 s), or, `now`, is
   * killed at once. What it still runs then fails with `stopped` (the engine stopped it; no crash).
   */
  async shutdown(now = false, stopped: () => EngineError = () => new EngineError('ENGINE_STOPPED', 'the engine stopped before the execution ended', { retryAfterMs: 1000 })): Promise<void> {
    if (this.dead) return;
    const exited = new Promise<void>((res) => this.child.once('exit', () => res()));
    this.deathReason = 'shut down';
    this.#stoppedWith = stopped;
    if (now) this.kill('shut down');
    else this.send({ t: 'shutdown' });
    const t = now ? undefined : setTimeout(() => this.kill('shut down'), 2000);
    await exited;
    clearTimeout(t);
  }
}

export function setPageSize(n: number): void { pageSize = n; }

function executionIdOf(msg: ExecMsg): string {
  try { return String((JSON.parse(msg.payload) as { executionId?: unknown }).executionId ?? ''); } catch { return ''; }
}

/** The breach of a script whose registered tool's run (`tool`) took its worker down with `breach`. */
function toolRunBreach(tool: ExecMsg, breach: ExecutionError): ExecutionError {
  let name = '';
  try { name = String((JSON.parse(tool.payload) as { scriptId?: unknown }).scriptId ?? '').replace(/^tool:/, ''); } catch { /* unnamed */ }
  const l = tool.limits;
  const limit = breach.kind === 'memory_limit' ? l.memoryMb * 1048576 : breach.limit === 'cpu_time' ? l.cpuBudgetMs : wallLimitOf(l);
  return {
    ...breach,
    message: `its call of tool ${name || '(unnamed)'} took its worker down: ${breach.message.replace(/^the script /, 'the tool ')}`,
    tool: { name: name || '(unnamed)', limit },
  };
}

/** A script whose worker had to be replaced to stop it, past its wall-clock (or CPU time) limit. */
function uninterruptibleTimeout(msg: ExecMsg, limit: 'wall-clock' | 'CPU time' = 'wall-clock'): ExecutionError {
  const ms = limit === 'wall-clock' ? wallLimitOf(msg.limits) : msg.limits.cpuBudgetMs;
  return {
    kind: 'timeout', name: 'TimeoutError', stack: '', line: 0, column: 0, limit: limit === 'wall-clock' ? 'wall_clock' : 'cpu_time',
    message: `the script exceeded its ${limit} limit of ${ms} ms (it could not be interrupted: its worker was replaced)`,
  };
}

/** When the worker stops an execution's guest code: at its CPU budget or wall-clock limit, whichever comes first. */
function timeLimitMs(msg: ExecMsg): number { return Math.min(msg.limits.cpuBudgetMs, msg.limits.wallTimeoutMs); }

/** A worker dying this close to its execution's time limit is taken to be stopping it (timers are not exact). */
const OVERDUE_MARGIN_MS = 250;

/**
 * A compilation that took its worker down: its isolate ran out of memory where V8 could not stop it,
 * or (`budgetBytes`) the worker passed its memory budget (the parser's memory is outside that heap).
 */
function compileBreach(budgetBytes?: number): NonNullable<CompiledMsg['error']> {
  if (budgetBytes === undefined) {
    return { message: `${COMPILE_MEMORY_MESSAGE} (its worker ran out of memory and was replaced)`, line: 0, column: 0, memoryLimitBytes: COMPILE_MEMORY_MB * 1048576 };
  }
  return {
    message: `compiling the source took its worker past its memory budget of ${Math.round(budgetBytes / 1048576)} MiB (its worker was replaced)`,
    line: 0, column: 0, memoryLimitBytes: budgetBytes,
  };
}

/** A script that took its worker's memory past what the worker may hold. */
function memoryLimitError(msg: ExecMsg): ExecutionError {
  return {
    kind: 'memory_limit', name: 'MemoryLimitError', stack: '', line: 0, column: 0,
    message: `the script exceeded its memory limit of ${msg.limits.memoryMb} MiB (its worker ran out of memory and was replaced)`,
  };
}
