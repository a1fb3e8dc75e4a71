/**
 * Worker process entry (forked by supervisor.ts). Hosts `ISOLATES` isolated-vm isolates ("slots"),
 * each running one execution at a time in a fresh context prepared ahead of time, more slots for
 * executions parked while they wait on the host (tools, timers), and one compile-only isolate. All
 * guest code runs on isolate threads; this process's event loop only moves capped strings between
 * the isolates and the host over IPC.
 */
import { Worker } from 'node:worker_threads';
import ivm from 'isolated-vm';
import { LRUCache } from 'lru-cache';
import { API_OP, FULL_GC_MARK, MAX_ERROR_CAUSES, MAX_TOOLS_IN_FLIGHT, MODULE_FORM, SYMBOL_REPORT_STEP } from './prelude.ts';
import { bindPrelude, preludeSnapshot } from './prelude-snapshot.ts';
import { mayCloseWrapper, parseCompileError, prepareSource, typeStripperStarted, unwrapScript, type PreparedSource } from './source.ts';
import { WRAPPED_ASYNC_PREFIX, WRAPPED_LINE_OFFSET } from './module-script.ts';
import { CompileError, toolNotAvailable } from './errors.ts';
import { MAX_VALUE_DEPTH, jsonTextNestsDeeper } from './json-depth.ts';
import { encodedValueSize } from './value-size.ts';
import { count } from '../count-noun.ts';
import { boundedProfileJson, emptyProfile, type CpuProfile } from './cpu-profile.ts';
import { DroppedTail, outputTail, type OutputTail } from './output-tail.ts';
import type { ErrorCause, ExecutionError, ExecutionErrorKind, TimeLimit } from './types.ts';
import {
  COMPILE_MEMORY_MB, COMPILE_MEMORY_MESSAGE, wallLimitOf, type CompiledInfo, type CompileMsg, type ExecMsg, type HostToWorker, type WorkerOutcome, type WorkerToHost,
} from './protocol.ts';

const ISOLATES = Math.max(1, Number(process.env.SE_ISOLATES ?? 1));
const RECYCLE_AFTER = Math.max(1, Number(process.env.SE_RECYCLE_AFTER ?? 500));
const TEST_HOOKS = process.env.SE_TEST_HOOKS === '1';
const WORKER_ID = process.env.SE_WORKER_ID ?? String(process.pid);
/** A context that takes longer than this to prepare means the isolate is still busy with old work. */
const PREPARE_WATCHDOG_MS = 2000;
const SCRIPT_CACHE_PER_ISOLATE = 64;
/**
 * Off when the host keeps no compiled code (enable_caching = false): then an isolate keeps no
 * Script either, and every run compiles its source (and produces no V8 cache data nobody keeps).
 */
const KEEP_SCRIPTS = process.env.SE_KEEP_SCRIPTS !== '0';
/**
 * The compiled Scripts an isolate keeps live in its heap, inside the memory limit its scripts get:
 * they may take this share of it at most, so a script's room does not depend on what ran before.
 */
const SCRIPT_CACHE_SHARE = 0.1;
/** Heap bytes a kept Script costs per byte of its code (measured: ~0.5 MB for a 100 KB script). */
const HEAP_PER_CODE_BYTE = 5;
/**
 * What an isolate keeps between executions must not eat into the room the next script is promised:
 * V8's own compilation cache holds ~2 MB for each distinct 1 MB script compiled in it, until it is
 * flushed, and its Symbol.for registry every key registered in it (the prelude charges them). An isolate
 * whose distinct code compiled so far and keys registered would keep more than RETIRE_HEAP_SHARE of its
 * memory limit is retired after the execution. (Its heap at an execution's end says little: earlier
 * contexts sit there as garbage, up to ~60 % of the limit, until V8 collects them.)
 */
const RETAINED_PER_CODE_BYTE = 2;
const RETIRE_HEAP_SHARE = 0.4;
/**
 * Guest code runs with the sync variants (one thread, no hops) when this process hosts one isolate:
 * a sync call blocks this event loop, which then only delays this one execution (its own limits bound
 * the call through `timeout`; the host cancels by replacing the worker, see pool.ts). With several
 * isolates per process, guest code stays on the async path so the executions overlap.
 */
const SYNC_GUEST = ISOLATES === 1 && process.env.SE_SYNC_GUEST !== '0';

/**
 * A compiled Script (or Module) keeps the file name and line offset it was compiled with: its stack
 * traces, error positions and profiles name them. The same source run under another name is another
 * entry (V8's compilation cache separates names too), or a caller would see whoever ran it first.
 */
const compiledKey = (cacheKey: string, filename: string, wrapped: boolean): string => `${cacheKey}\0${wrapped ? 'w' : ''}\0${filename}`;

/** What isolated-vm says when a script's top level throws a value that is not an Error. */
const NON_ERROR_THROWN = 'An object was thrown from supplied code within isolated-vm, but that object was not an instance of `Error`.';
/** What isolated-vm says when the isolate ran past its memory limit (and disposed of it). */
const ISOLATE_MEMORY_LIMIT = 'Isolate was disposed during execution due to memory limit';

/** Pending host timers one run may hold; the prelude allows 1000 (MAX_TIMERS), this is the backstop. */
const MAX_HOST_TIMERS = 1024;
/**
 * How long a result that settled inside a delivery (a timer, a tool reply) waits for that delivery's
 * guest code to finish before the isolate is disposed to stop it (see execute). Normally it finishes
 * within microseconds of the result; only work the script left going is cut.
 */
const LEFTOVER_GRACE_MS = 50;
/** What an error says crosses capped as the prelude caps it (describe): a thrown 5 MB message is not a 5 MB response. */
const MAX_ERROR_NAME = 200;
const MAX_ERROR_MESSAGE = 8192;
const MAX_ERROR_STACK = 16384;
/** Error names of the ways the host ends a run. */
const ABORT_NAMES: Partial<Record<ExecutionErrorKind, string>> = { cancelled: 'CancelledError', timeout: 'TimeoutError', security_violation: 'SecurityError', memory_limit: 'MemoryLimitError' };
/**
 * Heap an isolate may show past its memory limit before the worker calls it a breach (see overLimit):
 * V8's own room beyond the limit (young generation, ~3 MiB) and this share of the limit for garbage
 * not yet collected. Scripts that keep ~95 % of their limit live while churning garbage end well below.
 */
const HEAP_SLACK_SHARE = 1 / 8;
/** Outcomes that end a run by a limit (its isolate is retired). */
const LIMIT_KINDS: readonly ExecutionErrorKind[] = ['timeout', 'memory_limit', 'cancelled'];
/** Errors that end the call with an RPC error, carrying the end of the run's output. */
const TAIL_KINDS: readonly ExecutionErrorKind[] = [...LIMIT_KINDS, 'output_limit'];

let recycles = 0;

/** The timeout message of a run stopped at its CPU-time budget (cpuShare × wall timeout). */
function cpuBudgetMsg(msg: ExecMsg): string {
  return `the script exceeded its CPU time limit of ${msg.limits.cpuBudgetMs} ms`;
}

/**
 * The limit a guest call's isolated-vm timeout stands for. A sync call's is what was left of both budgets,
 * a delivery's the CPU budget: the CPU budget ran out unless it is no shorter than the wall limit or the
 * wall clock has run out too.
 */
function timeLimitOf(run: { msg: ExecMsg; wallEnd: number; wallMsg: string }): { message: string; limit: TimeLimit } {
  const cpuFirst = run.msg.limits.cpuBudgetMs < run.msg.limits.wallTimeoutMs && performance.now() <= run.wallEnd;
  return cpuFirst ? { message: cpuBudgetMsg(run.msg), limit: 'cpu_time' } : { message: run.wallMsg, limit: 'wall_clock' };
}

/** V8 lost control of an isolate: this process ends. Said on stderr first, where the supervisor reads why a worker died. */
function onCatastrophicError(message: string): void {
  process.stderr.write(`isolate catastrophic error: ${message}\n`);
  process.exit(70);
}

function send(msg: WorkerToHost): void {
  if (process.connected) process.send!(msg);
}

/** `late`: the end of what was dropped past the cap, for a limit error's output tail. */
interface OutBuf { chunks: string[]; bytes: number; dropped: number; late?: DroppedTail }

/** `end`: the end of a line the prelude cut short (past `text`), when it did. */
function outAppend(b: OutBuf, cap: number, text: string, total: number, end?: string): void {
  if (b.late) {
    b.dropped += total;
    b.late.add(text);
    if (end) b.late.add(end);
    return;
  }
  const remaining = cap - b.bytes;
  if (total <= remaining) { b.chunks.push(text); b.bytes += total; return; }
  const buf = Buffer.from(text, 'utf8');
  let cut = Math.max(0, Math.min(remaining, buf.length));
  while (cut > 0 && cut < buf.length && (buf[cut]! & 0xc0) === 0x80) cut--;
  const kept = buf.subarray(0, cut).toString('utf8');
  if (cut > 0) b.chunks.push(kept);
  b.bytes += cut;
  b.dropped += total - cut;
  b.late = new DroppedTail();
  // The rest as the script's text (as many UTF-16 units were kept): a character the prelude split
  // at text's end is joined whole with `end`, where its bytes would have become U+FFFD.
  b.late.add(text.slice(kept.length));
  if (end) b.late.add(end);
}

/** The end of a stream (its kept text without the truncation note, then what was dropped). */
const tailOf = (b: OutBuf): OutputTail => outputTail(b.chunks.join(''), b.late, b.bytes + b.dropped);

function outText(b: OutBuf): string {
  const s = b.chunks.join('');
  return b.dropped > 0 ? `${s}\n…[truncated ${count(b.dropped, 'byte')}]` : s;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** A line of a stack that is a frame ('    at f (file:1:2)'). */
const FRAME = /^\s+at\s/;
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where a stack's frames start: after its header (V8's `name: message`, which may hold lines that read
 * like frames) when the stack starts with it, else at its first line that reads like a frame.
 */
export function framesStart(stack: string, header?: string): number {
  if (header !== undefined && stack.startsWith(header) && (stack.length === header.length || stack[header.length] === '\n')) return header.length;
  const m = /\n\s+at\s/.exec(stack);
  return m ? m.index : stack.length;
}

/** V8's header of an error's stack (ErrorUtils::ToString). */
const stackHeader = (name: string, message: string): string => (name === '' ? message : message === '' ? name : `${name}: ${message}`);

/**
 * Where the frames start in the stack of an error that crossed isolated-vm alive: it rebuilds the
 * stack as `name: message` then the isolate's stack from its first line starting "    at", which may
 * be a line of the message: that part of the header is then there twice.
 */
function crossedFramesStart(stack: string, header: string): number {
  const at = header.indexOf('\n    at');
  return framesStart(stack, at < 0 ? header : header + header.slice(at));
}

/**
 * An error's stack in the script's terms, and its position. Its header (the first `head` characters)
 * is kept, clipped as the message is, so the frames after a huge one are kept; of its frames, only the
 * script's (host frames, worker paths, never reach the caller). In code compiled at WRAPPED_LINE_OFFSET,
 * V8 prints an eval origin (`eval at f (file:L:C)`) without the offset: it is put back on the script's
 * line. The position is the first script frame's, else an eval origin's (code made by eval or new
 * Function, called from no frame of the script), never one in the message's text.
 */
export function scriptStack(stack: string, filename: string, wrapped: boolean, head = framesStart(stack)): { stack: string; line: number; column: number } {
  const file = escapeRegExp(filename);
  const origin = new RegExp(`(eval at [^\\n]*?\\(${file}:)(\\d+)(:\\d+\\))`, 'g');
  const frames: string[] = [];
  for (let line of stack.slice(head).split('\n')) {
    if (!FRAME.test(line) || !(line.includes(`${filename}:`) || line.includes('<anonymous>'))) continue;
    if (wrapped) line = line.replace(origin, (_, at: string, l: string, c: string) => `${at}${Number(l) + WRAPPED_LINE_OFFSET}${c}`);
    frames.push(line);
  }
  const text = [clip(stack.slice(0, head), MAX_ERROR_MESSAGE), ...frames].join('\n').replace(/file:\/\/\/?[^\s)]*/g, '<host>');
  return { stack: clip(text, MAX_ERROR_STACK), ...locate(frames, file) };
}

function locate(frames: string[], file: string): { line: number; column: number } {
  const own = new RegExp(`[ (]${file}:(\\d+):(\\d+)\\)?$`);
  const origin = new RegExp(`eval at [^\\n]*?\\(${file}:(\\d+):(\\d+)\\)`);
  let m: RegExpExecArray | null = null;
  for (const f of frames) if ((m = own.exec(f))) break;
  if (!m) for (const f of frames) if ((m = origin.exec(f))) break;
  return m ? { line: Number(m[1]), column: Number(m[2]) } : { line: 0, column: 0 };
}

interface Run {
  msg: ExecMsg;
  stdout: OutBuf;
  stderr: OutBuf;
  ops: number;
  toolCalls: number;
  /** Tool calls refused here for a name not in the run's tools (the guest may catch them): the host announces them. */
  refused?: { count: number; first: string };
  /** Tool calls sent to the host and not answered yet (the prelude keeps it to MAX_TOOLS_IN_FLIGHT). */
  toolsInFlight: number;
  /** The host timers of the guest's pending setTimeout calls, by the guest's timer id. */
  timers: Map<number, NodeJS.Timeout>;
  /** performance.now() past which the run is over its wall-clock limit. */
  wallEnd: number;
  wallMsg: string;
  /** The prelude's api in this run's context: tool replies and timers are delivered through it. */
  api?: ivm.Reference;
  abort?: { kind: ExecutionErrorKind; message: string; limit?: TimeLimit };
  /** Deliveries (deliver) whose guest code may still be running on the isolate's thread. */
  delivering: number;
  /** The host was told this parked run's guest code runs again (ResumedMsg); told again once it is done. */
  resumed?: boolean;
  /** Told when the last delivery in progress has ended. */
  onIdle?: () => void;
  /** Its result came back: guest code a delivery still runs is work the script left going (see execute), no breach of the run's. */
  answered?: boolean;
  /**
   * Heap bytes read while the isolate's thread was free (after each delivery, when parking): what a
   * run whose isolate is disposed to stop work left going after its result reports.
   */
  heapBytes?: number;
  /** The most those reads found (see usedHeap). */
  heapPeak?: number;
  /** Heap bytes (used + external) in the isolate when its context was ready, the least such read on that isolate, and its young generation's size (see usedHeap). */
  heapBase?: number;
  heapFloor?: number;
  heapYoung?: number;
  /** A full GC ran while it did, the prelude said (FULL_GC_MARK): counted from heapFloor (see usedHeap). */
  fullGc?: boolean;
  sampling?: boolean;
}

/**
 * The heap (used + external) a run's reading shows it using: what the isolate holds past what it held when
 * the run's context was ready (base), which counts no garbage an earlier run on that isolate left. Once a full
 * GC took such garbage (collected), it is counted from the least base read on that isolate instead (a fresh
 * context's heap, near enough). A read below base without one means a young-generation GC took some (at most
 * the young generation, young): counted as though it took that much. Never negative. Only reported: no limit
 * is decided by it.
 */
function usedHeap(reading: number, base: number, floor: number, young: number, collected: boolean): number {
  const from = collected ? Math.min(base, floor) : reading >= base ? base : Math.max(Math.min(base, floor), base - young);
  return Math.max(0, reading - from);
}

/** Records a heap read of a running run (the last and the most: see Run.heapBytes). */
function noteHeap(r: Run, hs: ivm.HeapStatistics): void {
  r.heapBytes = hs.used_heap_size + hs.externally_allocated_size;
  r.heapPeak = Math.max(r.heapPeak ?? 0, r.heapBytes);
}

/**
 * The memory a run reports: the most it was seen using, its final read and those taken while it ran (one of
 * those may predate the full GC: counted from base). collected: counted from the floor whatever the reads.
 */
function runHeap(r: Run, final: number, collected = r.fullGc === true): number {
  const base = r.heapBase ?? 0, floor = r.heapFloor ?? base, young = r.heapYoung ?? 0;
  return Math.max(usedHeap(final, base, floor, young, collected), r.heapPeak === undefined ? 0 : usedHeap(r.heapPeak, base, floor, young, false));
}

/** The young generation of an isolate of memMb MiB, as isolated-vm sizes it (its max_young_generation_size). */
const youngGenerationBytes = (memMb: number): number => 1024 * 2 ** (Math.min(4, memMb / 128) + 10);

/**
 * isolated-vm hands a module's import specifiers back Latin-1 decoded (one character per UTF-8 byte):
 * decoded again, `import x from "ñ"` is named as it was written.
 */
function importSpecifiers(mod: ivm.Module): string[] {
  return mod.dependencySpecifiers.map((s) => {
    if (!/^[\x00-\xff]*$/.test(s)) return s;
    const utf8 = Buffer.from(s, 'latin1').toString('utf8');
    return utf8.includes('\ufffd') && !s.includes('\ufffd') ? s : utf8;
  });
}

interface Prepared {
  context: ivm.Context;
  /** The prelude's api(op, a, b): see API_OP. */
  api: ivm.Reference;
  /** Heap bytes (used + external) in the isolate once this context was ready: the run's baseline (see usedHeap). */
  heapBase: number;
}

const toolWaiters = new Map<string, (envelope: string) => void>();
let toolSeq = 0;

/** A result's JSON checked against what may cross the API: nesting depth and its size as a Value. */
function checkReturnValue(json: string | undefined, valueCap: number): { ok: boolean; returnJson?: string; returnValueBytes?: number; error?: ExecutionError } {
  if (json === undefined) return { ok: true };
  if (jsonTextNestsDeeper(json, MAX_VALUE_DEPTH)) {
    return { ok: false, error: { kind: 'invalid_return_value', name: 'TypeError', message: `the return value nests deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects (what crosses the API as a google.protobuf.Value)`, stack: '', line: 0, column: 0 } };
  }
  // As a google.protobuf.Value a number costs up to ~6x its JSON: measured here, not on the server.
  if (valueCap <= 0 || json.length * 6 <= valueCap) return { ok: true, returnJson: json };
  const returnValueBytes = encodedValueSize(JSON.parse(json));
  if (returnValueBytes <= valueCap) return { ok: true, returnJson: json, returnValueBytes };
  return { ok: false, returnValueBytes, error: { kind: 'output_limit', name: 'RangeError', message: `the return value is ${returnValueBytes} bytes as a google.protobuf.Value, over the ${valueCap}-byte limit`, stack: '', line: 0, column: 0 } };
}

/** The error a script threw, from the prelude's envelope (head: where its stack's frames start). */
function thrownError(json: string, filename: string, wrapped: boolean): ExecutionError {
  const e = JSON.parse(json) as Described & { kind: ExecutionErrorKind; causes?: Described[]; errors?: Described[] };
  const list = (l: Described[] | undefined) => (Array.isArray(l) ? l.slice(0, MAX_ERROR_CAUSES).map((c) => described(c, filename, wrapped, false)) : []);
  const causes = list(e.causes), errors = list(e.errors);
  return { kind: e.kind, ...described(e, filename, wrapped, true), ...(causes.length > 0 ? { causes } : {}), ...(errors.length > 0 ? { errors } : {}) };
}

/** An error (or one of its causes) as the prelude described it; head: where its stack's frames start. */
interface Described { name: string; message: string; stack: string; head?: number }

/** One with no stack has its header as its stack when thrown (headed), none as a cause. */
function described(e: Described, filename: string, wrapped: boolean, headed: boolean): ErrorCause {
  const name = String(e.name), message = String(e.message), stack = typeof e.stack === 'string' ? e.stack : '';
  // The prelude caps these already; capped again here should that ever be bypassed.
  const told = { name: clip(name, MAX_ERROR_NAME), message: clip(message, MAX_ERROR_MESSAGE) };
  if (!stack && !headed) return { ...told, stack: '', line: 0, column: 0 };
  return { ...told, ...scriptStack(stack || stackHeader(name, message), filename, wrapped, stack && typeof e.head === 'number' ? e.head : undefined) };
}

/**
 * The source inside a classic script's try/catch wrapper (source.ts scriptInTry), when it must be
 * compiled alone as well: a source that is no program by itself could close the wrapper's block early
 * and throw past its catch, so one that could (mayCloseWrapper) must compile alone too; and a wrapper
 * that does not compile is compiled without it, for V8's own error and position, or, when the source
 * compiles alone, to run it so (see CheckedScript). A module rewritten
 * as a script was parsed whole already; code the host kept was checked when it was first compiled.
 */
function bareSource(p: PreparedSource): string | undefined {
  return p.wrapped && p.kind !== 'module' ? unwrapScript(p.code) : undefined;
}

type CompileOptions = NonNullable<Parameters<ivm.Isolate['compileScriptSync']>[1]>;

/**
 * A compiled classic script; `unwrapped` when the wrapper did not compile but the source alone did
 * (a var and a function of one name, or two strict functions of one name: in the wrapper's block a
 * function declaration is lexical, an early error): the source runs bare, at line offset 0, without
 * the top-level-throw guard (a known limit), and is kept and cached as such (not wrapped).
 */
interface CheckedScript { script: ivm.Script; unwrapped?: boolean }

/** compileScriptSync of prepared code, with its bare source (bareSource) checked. */
function compileChecked(iso: ivm.Isolate, code: string, bare: string | undefined, options: CompileOptions): CheckedScript {
  let script: ivm.Script;
  try {
    script = iso.compileScriptSync(code, options);
  } catch (e) {
    if (bare === undefined) throw e;
    return { script: iso.compileScriptSync(bare, { ...options, lineOffset: 0 }), unwrapped: true }; // or the source's own error
  }
  if (bare !== undefined && mayCloseWrapper(bare)) {
    try { iso.compileScriptSync(bare, { filename: options.filename }).release(); } catch (e) { script.release(); throw e; }
  }
  return { script };
}

class Slot {
  id: string;
  memMb: number;
  isolate!: ivm.Isolate;
  logCb!: ivm.Callback;
  toolCb!: ivm.Callback;
  timerCb!: ivm.Callback;
  /** The next execution's context: ready (prepared after the last result was sent) or still being created. */
  next: Prepared | Promise<Prepared> | undefined;
  executions = 0;
  /** Bytes of distinct code compiled in this isolate (see RETAINED_PER_CODE_BYTE), by compiledKey. */
  compiledBytes = 0;
  /** Bytes of Symbol.for keys runs registered in this isolate's registry, as the prelude charges them (an upper bound). */
  registryBytes = 0;
  readonly compiledKeys = new Set<string>();
  run: Run | undefined;
  busy = false;
  /**
   * Compiled Scripts by cache key and what else is baked into one (file name, line offset; see
   * compiledKey), least recently used out first (see SCRIPT_CACHE_SHARE).
   */
  scripts!: LRUCache<string, ivm.Script>;
  generation = 0;

  /** Heap bytes (used + external) past which a run is over its memory limit (see overLimit). */
  heapCap = 0;
  /** The least heapBase of a context prepared on this isolate (see usedHeap). */
  heapFloor = Infinity;
  /** When this slot last finished an execution (idle extra slots are disposed, see reapIdleSlots). */
  lastUsed = Date.now();
  /** Disposed for good (an idle extra slot): nothing is made for it any more. */
  gone = false;

  constructor(index: number, memMb: number) {
    this.id = `${WORKER_ID}/${index}`;
    this.memMb = memMb;
    this.newIsolate();
  }

  newIsolate(): void {
    this.generation++;
    this.isolate = new ivm.Isolate({
      memoryLimit: this.memMb,
      onCatastrophicError,
      snapshot: preludeSnapshot(), // each context starts with the prelude installed
    });
    const limit = this.memMb * 1048576;
    // heap_size_limit is the limit plus V8's own room (read now: it grows while a run is near the limit).
    this.heapCap = Math.max(limit, this.isolate.getHeapStatisticsSync().heap_size_limit) + Math.max(2 * 1048576, limit * HEAP_SLACK_SHARE);
    this.heapFloor = Infinity;
    this.logCb = new ivm.Callback((stream: number, text: string, total: number, end?: string) => this.onLog(stream, text, total, end));
    this.toolCb = new ivm.Callback((name: string, json: string) => this.onTool(name, json));
    this.timerCb = new ivm.Callback((ms: number, id: number) => this.onTimer(ms, id));
    this.scripts = new LRUCache<string, ivm.Script>({
      max: SCRIPT_CACHE_PER_ISOLATE,
      maxSize: Math.max(1, Math.floor(this.memMb * 1048576 * SCRIPT_CACHE_SHARE)),
      dispose: (script) => { try { script.release(); } catch { /* its isolate is gone */ } },
    });
    this.executions = 0;
    this.compiledBytes = 0;
    this.registryBytes = 0;
    this.compiledKeys.clear();
    this.next = undefined;
    this.scheduleNext();
  }

  /** Code compiled again (a module, or a Script dropped from the LRU) is already in V8's cache. */
  noteCompiled(key: string, bytes: number): void {
    if (this.compiledKeys.has(key)) return;
    this.compiledKeys.add(key);
    this.compiledBytes += bytes;
  }

  recycle(memMb = this.memMb): void {
    this.dispose();
    this.memMb = memMb;
    this.newIsolate();
  }

  /** Disposes the isolate now: nothing left in it keeps running. Its replacement comes later (retire). */
  dispose(recycled = true): void {
    if (recycled) recycles++;
    try { if (!this.isolate.isDisposed) this.isolate.dispose(); } catch { /* already gone */ }
    this.next = undefined;
  }

  /**
   * An isolate done with (a limit hit, a cancel, or `recycle_after` executions): disposed at once,
   * replaced once the result has been sent, so that making the new isolate (~1.5 ms) is not on this
   * execution's path. An execution that starts before then makes it itself.
   */
  retire(): void {
    this.dispose();
    setImmediate(() => {
      if (this.isolate.isDisposed && !this.busy && !this.gone) this.newIsolate();
    });
  }

  scheduleNext(): void {
    const gen = this.generation;
    if (SYNC_GUEST) {
      // One isolate in this process: create the next context synchronously (no thread hop), but only
      // after the result just computed has been sent (setImmediate runs after the send's microtask).
      // Left-over guest work cannot hold the isolate here: sync calls drain microtasks under their
      // timeout and the prelude neuters FinalizationRegistry, WebAssembly and Atomics.wait*; should
      // anything still block, the supervisor sees the missed heartbeats and replaces this worker.
      this.next = undefined;
      setImmediate(() => {
        // Not for an isolate disposed since (retired: replaced later, without a new generation yet).
        if (this.next !== undefined || this.busy || this.gone || gen !== this.generation || this.isolate.isDisposed) return;
        try {
          this.next = this.prepareSync();
        } catch {
          // What earlier runs left in the isolate (its Symbol.for registry, say) filled it: the context (or
          // the prelude) ran it out of memory. Thrown here it would end this process and everything in it;
          // the isolate is replaced instead. One that fails fresh is only disposed: the next execution
          // makes its own and reports what fails then (no loop of isolates that cannot start).
          if (this.executions > 0) this.retire();
          else this.dispose();
        }
      });
      return;
    }
    const p = this.prepare();
    p.catch(() => { /* handled when taken */ });
    this.next = p;
    p.then((ready) => { if (this.next === p) this.next = ready; }, () => {});
    // Watchdog: work left behind by the previous execution (spinning microtasks, ...) keeps the isolate
    // thread busy, so the next context never gets created: dispose that isolate and start a new one.
    const t = setTimeout(() => {
      if (this.next === p && this.generation === gen && !this.busy) this.recycle();
    }, PREPARE_WATCHDOG_MS);
    p.then(() => clearTimeout(t), () => clearTimeout(t));
  }

  /**
   * One async hop, then synchronous calls. The context is created on the isolate's thread (the async
   * hop): once it is back, the isolate has finished any task queued before it, so the trusted, bounded
   * rest (the prelude's bind: it is in the snapshot) runs with the sync variants — no further thread hops.
   * If left-over work keeps the isolate busy, createContext never returns and the watchdog recycles.
   */
  async prepare(): Promise<Prepared> {
    const gen = this.generation;
    const context = await this.isolate.createContext();
    if (gen !== this.generation) { context.release(); throw new Error('isolate replaced'); }
    return this.install(context);
  }

  install(context: ivm.Context): Prepared {
    const api = bindPrelude(context, [this.logCb, this.toolCb, this.timerCb], this.memMb * 1048576);
    // Read here, off the next run's path (a context is prepared after the last result was sent): what the
    // isolate holds before the run, garbage of earlier runs included (see usedHeap).
    const hs = this.isolate.getHeapStatisticsSync();
    return { context, api, heapBase: hs.used_heap_size + hs.externally_allocated_size };
  }

  /** Synchronous preparation, only for an isolate known to be idle (just created). */
  prepareSync(): Prepared {
    return this.install(this.isolate.createContextSync());
  }

  /**
   * Every host callback first checks the run's wall clock. isolated-vm's `timeout` pauses while a
   * host callback runs, so a script that keeps calling the host (logs, timers) would otherwise outlive
   * its wall-clock limit many times over (measured: a 300 ms timeout ended after 2.5 s of 50 us
   * callbacks). Disposing the isolate from inside its own callback ends the guest uncatchably.
   */
  overWall(r: Run): boolean {
    if (performance.now() <= r.wallEnd) return false;
    this.abort('timeout', r.wallMsg, 'wall_clock');
    return true;
  }

  onLog(stream: number, text: string, total: number, end?: string): void {
    const r = this.run;
    if (!r || this.overWall(r)) return;
    if (stream === 3) {
      // Symbol.for keys the run registered: they outlive it in the isolate (see the retire rule in execute).
      this.registryBytes += Math.max(SYMBOL_REPORT_STEP, Number(total) || 0);
      return;
    }
    r.ops++;
    outAppend(stream === 2 ? r.stderr : r.stdout, r.msg.limits.maxOutputBytes, String(text), Number(total) || 0, typeof end === 'string' ? end : undefined);
  }

  /** A tool call from the guest: the answer now (an envelope), or a call id whose reply() follows. */
  onTool(name: string, argsJson: string): string | number {
    const r = this.run;
    if (!r || this.overWall(r)) return 0; // no run (cannot happen while guest code runs), or over time: never answered
    r.ops++;
    name = String(name);
    argsJson = String(argsJson);
    if (!r.msg.tools.includes(name)) {
      const message = toolNotAvailable(name);
      if (r.refused) r.refused.count++;
      else r.refused = { count: 1, first: message };
      return JSON.stringify({ ok: false, security: true, message });
    }
    r.toolCalls++;
    if (r.toolCalls > r.msg.limits.maxToolCalls) {
      return JSON.stringify({ ok: false, message: `too many tool calls (max ${r.msg.limits.maxToolCalls})` });
    }
    if (Buffer.byteLength(argsJson) > r.msg.limits.maxToolPayloadBytes) {
      return JSON.stringify({ ok: false, message: `tool "${name}": arguments exceed ${r.msg.limits.maxToolPayloadBytes} bytes` });
    }
    // The backstop if the prelude's bound were bypassed: each call in flight holds its arguments here and in the server.
    if (r.toolsInFlight >= MAX_TOOLS_IN_FLIGHT) {
      return JSON.stringify({ ok: false, message: `too many tool calls in flight (max ${MAX_TOOLS_IN_FLIGHT})` });
    }
    const callId = ++toolSeq;
    r.toolsInFlight++;
    toolWaiters.set(`${r.msg.id}:${callId}`, (envelope) => { r.toolsInFlight--; this.deliver(r, API_OP.reply, callId, envelope); });
    send({ t: 'tool', id: r.msg.id, callId, name, argsJson });
    return callId;
  }

  onTimer(ms: number, id: number): void {
    const r = this.run;
    if (!r || this.overWall(r)) return;
    r.ops++;
    id = Number(id);
    ms = Number(ms);
    if (ms < 0) {
      clearTimeout(r.timers.get(id));
      r.timers.delete(id);
      return;
    }
    // The prelude bounds a run's pending timers (MAX_TIMERS); this bound holds even if it were bypassed.
    if (r.timers.size >= MAX_HOST_TIMERS) { this.abort('security_violation', `too many pending timers (max ${MAX_HOST_TIMERS})`); return; }
    const h = setTimeout(() => { r.timers.delete(id); this.deliver(r, API_OP.fire, id); }, Math.max(0, ms || 0));
    r.timers.set(id, h);
  }

  /**
   * Hands a tool's reply or a due timer to the guest, if its run is still the current one. Guest code
   * resumes inside this call: its guards (wall timer, CPU watch) are armed, as the script was waiting.
   */
  deliver(r: Run, op: number, a: unknown, b?: unknown): void {
    if (this.run !== r || !r.api || r.abort) return;
    // The host takes a parked run to hold no thread: it is told for as long as deliveries run (once
    // for overlapping ones), so a worker dying of that guest code is pinned on this run.
    if (r.delivering++ === 0 && (parked.has(r.msg.id) || keptSlot.has(r.msg.id))) {
      r.resumed = true;
      send({ t: 'resumed', id: r.msg.id, running: true });
    }
    r.api.apply(undefined, [op, a, b], { timeout: Math.max(1, Math.ceil(r.msg.limits.cpuBudgetMs)) })
      .catch((e: unknown) => this.deliveryStopped(r, e))
      .finally(() => {
        if (--r.delivering > 0) return;
        if (r.resumed) {
          r.resumed = false;
          if (this.run === r) send({ t: 'resumed', id: r.msg.id, running: false });
        }
        r.onIdle?.();
        if (this.run === r) this.sampleHeap(r);
      });
  }

  /**
   * A delivery fails only when the host stopped its guest code (the prelude catches what a callback
   * throws and reports it on stderr): its own timeout (a callback ran the CPU budget out) or its isolate
   * disposed at the memory limit. That ends the run with the breach, as it would have in main: were it
   * dropped, a result settling in the next delivery, before the CPU watch looked, would make a run
   * succeed past its budget with its callback cut off half-way. Ends the host caused (abort) are named already.
   */
  deliveryStopped(r: Run, e: unknown): void {
    if (this.run !== r || r.abort || r.answered) return;
    const err = e as { message?: unknown; stack?: unknown } | undefined;
    const message = String(err?.message ?? e);
    if (message === 'Script execution timed out.') {
      const { message: said, limit } = timeLimitOf(r);
      this.abort('timeout', said, limit);
    } else if (this.isolate.isDisposed || (message === ISOLATE_MEMORY_LIMIT && !String(err?.stack ?? '').includes('(<isolated-vm boundary>)'))) {
      this.abort('memory_limit', this.memoryMsg());
    }
  }

  /** Reads the run's heap once the isolate's thread is free (async: a task queued behind its work), and checks it. */
  sampleHeap(r: Run): void {
    if (r.sampling || r.abort || this.isolate.isDisposed) return;
    r.sampling = true;
    const iso = this.isolate;
    iso.getHeapStatistics().then(
      async (hs) => {
        noteHeap(r, hs);
        if (this.run !== r || !this.overLimit(hs)) return;
        // Maybe garbage: a compile has isolated-vm collect it first, and dispose the isolate if it is not.
        try { (await iso.compileScript('')).release(); } catch { /* disposed: over its limit */ }
        if (this.run === r && (iso.isDisposed || this.overLimit(await iso.getHeapStatistics()))) this.abort('memory_limit', this.memoryMsg());
      },
    ).catch(() => { /* disposed meanwhile */ }).finally(() => { r.sampling = false; });
  }

  /**
   * V8 lets one allocation (a string flattened by indexOf, a huge BigInt) far past the isolate's
   * limit, which only a later allocation would trip: a script that makes one and then waits would hold
   * it, 512 MiB at Safe, and a few such push the worker over its RSS budget, failing every execution
   * parked in it. So whenever the isolate's thread comes back (a run or delivery ended, a run parks),
   * its heap is read and a run over its limit is ended as the memory breach it is.
   */
  overLimit(hs: ivm.HeapStatistics): boolean {
    return hs.used_heap_size + hs.externally_allocated_size > this.heapCap;
  }

  /**
   * A heap read counts garbage too (a growing array leaves its old stores behind): past heapCap, a
   * compile, before which isolated-vm collects garbage and disposes an isolate still over its limit
   * (its own check), says whether it is live. Rare, so the cost (a full GC, ~10-100 ms) is no concern.
   */
  overLimitLive(hs: ivm.HeapStatistics): boolean {
    if (!this.overLimit(hs)) return false;
    try { this.isolate.compileScriptSync('').release(); } catch { return true; }
    return this.isolate.isDisposed || this.overLimit(this.isolate.getHeapStatisticsSync());
  }

  /** Records a heap read of a running run, and ends it if it is over its limit (false then). */
  checkHeap(r: Run, hs: ivm.HeapStatistics): boolean {
    noteHeap(r, hs);
    if (!this.overLimitLive(hs)) return true;
    this.abort('memory_limit', this.memoryMsg());
    return false;
  }

  memoryMsg(): string {
    return `the script exceeded its memory limit of ${this.memMb} MiB`;
  }

  abort(kind: ExecutionErrorKind, message: string, limit?: TimeLimit): void {
    const r = this.run;
    if (!r || r.abort) return;
    r.abort = { kind, message, limit };
    try { this.isolate.dispose(); } catch { /* already disposed */ }
  }

  async execute(msg: ExecMsg): Promise<{ outcome: WorkerOutcome; compiled?: CompiledInfo }> {
    this.busy = true;
    if (msg.limits.memoryMb !== this.memMb) this.recycle(msg.limits.memoryMb);
    else if (this.isolate.isDisposed) this.newIsolate(); // retired, not replaced yet
    const t0 = performance.now();
    const run: Run = {
      msg, stdout: { chunks: [], bytes: 0, dropped: 0 }, stderr: { chunks: [], bytes: 0, dropped: 0 },
      ops: 0, toolCalls: 0, toolsInFlight: 0, timers: new Map(), wallEnd: t0 + msg.limits.wallTimeoutMs, delivering: 0,
      wallMsg: `the script exceeded its wall-clock limit of ${wallLimitOf(msg.limits)} ms`,
    };
    let compiled: CompiledInfo | undefined;
    let error: ExecutionError | undefined;
    let returnJson: string | undefined;
    let returnValueBytes: number | undefined;
    let ok = false;
    let compileMs = 0;
    let prepared: Prepared | undefined;
    let transient: ivm.Script | undefined;
    let cpu0 = 0n;
    let profiling = false;
    /** CPU ms the run had used when its isolate was disposed to stop work left going after the result. */
    let stoppedCpuMs: number | undefined;
    let iso = this.isolate;
    const filename = msg.filename;
    /** The code is compiled at WRAPPED_LINE_OFFSET (its eval origins are shifted: see scriptStack). */
    let wrapped = msg.compiled && msg.wrapped === true;
    const wallMsg = run.wallMsg;
    const cpuMsg = cpuBudgetMsg(msg);
    let wall: NodeJS.Timeout | undefined;
    let cpuWatch: NodeJS.Timeout | undefined;
    // The async path's guards: a wall-clock timer and a CPU-budget watch (timeouts do not cover awaits).
    // A budget no shorter than the wall limit (no CPU share, or a run started again with less left) needs no
    // watch: the thread's CPU time cannot pass its wall time, and the wall timer names the right limit.
    const armAsync = () => {
      wall = setTimeout(() => this.abort('timeout', wallMsg, 'wall_clock'), Math.max(0, run.wallEnd - performance.now()));
      if (msg.limits.cpuBudgetMs >= msg.limits.wallTimeoutMs) return;
      cpuWatch = setInterval(() => {
        try {
          if (Number(iso.cpuTime - cpu0) / 1e6 > msg.limits.cpuBudgetMs) this.abort('timeout', cpuMsg, 'cpu_time');
        } catch { /* disposed */ }
      }, 25);
    };
    // The sync path's guard: each sync call gets what is left of both budgets as its timeout.
    const remaining = (): number => {
      const cpuLeft = msg.limits.cpuBudgetMs - Number(iso.cpuTime - cpu0) / 1e6;
      const wallLeft = run.wallEnd - performance.now();
      if (cpuLeft < 1 || wallLeft < 1) {
        run.abort = cpuLeft < wallLeft ? { kind: 'timeout', message: cpuMsg, limit: 'cpu_time' } : { kind: 'timeout', message: wallMsg, limit: 'wall_clock' };
        throw new Error('aborted');
      }
      return Math.ceil(Math.min(cpuLeft, wallLeft));
    };
    if (!SYNC_GUEST) armAsync();
    try {
      try {
        const next = this.next;
        prepared = next === undefined ? (SYNC_GUEST ? this.prepareSync() : await this.prepare()) : next instanceof Promise ? await next : next;
      } catch {
        // The prepared context was lost (isolate recycled by the watchdog): start over once, on a new isolate.
        this.recycle();
        prepared = this.prepareSync();
      }
      this.next = undefined;
      iso = this.isolate;
      run.api = prepared.api;
      this.heapFloor = Math.min(this.heapFloor, prepared.heapBase);
      run.heapBase = prepared.heapBase;
      run.heapFloor = this.heapFloor;
      run.heapYoung = youngGenerationBytes(this.memMb);
      this.run = run;
      cpu0 = iso.cpuTime;
      const timeout = Math.max(1, Math.ceil(Math.min(msg.limits.cpuBudgetMs, msg.limits.wallTimeoutMs)));
      if (msg.profile) { iso.startCpuProfiler('run'); profiling = true; }
      // Trusted, bounded steps use the sync variants (no thread hop); guest code runs on the async path
      // below so that this process stays responsive (wall clock, cancellation, CPU watch, heartbeats).
      prepared.api.applySync(undefined, [API_OP.begin, msg.payload], { timeout });

      const tc = performance.now();
      let code = msg.code;
      let kind = msg.kind;
      let bare: string | undefined;
      if (!msg.compiled) {
        const p = prepareSource(msg.code, msg.language, msg.kind);
        code = p.code;
        kind = p.kind;
        wrapped = p.wrapped === true;
        bare = bareSource(p);
        compiled = { code, kind, wrapped: p.wrapped, diagnostics: p.diagnostics };
      }
      let pendingCompiled = compiled;
      compiled = undefined; // only reported once the code has compiled
      let key = compiledKey(msg.cacheKey, filename, wrapped);
      let target: ivm.Reference;
      if (kind === 'module' && !wrapped) {
        let mod: ivm.Module;
        try {
          mod = iso.compileModuleSync(code, { filename });
        } catch (e) { throw parseCompileError(String((e as Error).message)); }
        this.noteCompiled(key, code.length);
        if (mod.dependencySpecifiers.length > 0) {
          const spec = importSpecifiers(mod).join(', ');
          error = { kind: 'security_violation', name: 'SecurityError', message: `imports are not available in scripts: ${spec}`, stack: '', line: 0, column: 0 };
          throw error;
        }
        compiled = pendingCompiled;
        compileMs = performance.now() - tc;
        mod.instantiateSync(prepared.context, () => { throw new Error('imports are not available in scripts'); });
        if (SYNC_GUEST) mod.evaluateSync({ timeout: remaining() }); else await mod.evaluate({ timeout });
        target = mod.namespace;
        mod.release();
      } else {
        let script = KEEP_SCRIPTS ? this.scripts.get(key) : undefined;
        const lineOffset = wrapped ? WRAPPED_LINE_OFFSET : 0;
        if (!script) {
          try {
            if (msg.cachedData) {
              script = iso.compileScriptSync(code, { filename, lineOffset, cachedData: new ivm.ExternalCopy(msg.cachedData.buffer.slice(msg.cachedData.byteOffset, msg.cachedData.byteOffset + msg.cachedData.byteLength) as ArrayBuffer) });
            } else {
              const checked = compileChecked(iso, code, bare, { filename, lineOffset, produceCachedData: !msg.compiled && KEEP_SCRIPTS });
              script = checked.script;
              if (checked.unwrapped) {
                code = bare!;
                wrapped = false;
                key = compiledKey(msg.cacheKey, filename, false);
                if (pendingCompiled) pendingCompiled = { ...pendingCompiled, code, wrapped: undefined };
              }
              const cd = (script as unknown as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
              if (pendingCompiled && cd) pendingCompiled.cachedData = new Uint8Array(cd.copy());
            }
          } catch (e) { throw parseCompileError(String((e as Error).message)); }
          compiled = pendingCompiled;
          this.noteCompiled(key, code.length + (wrapped && bare !== undefined && mayCloseWrapper(bare) ? bare.length : 0));
          if (KEEP_SCRIPTS) this.scripts.set(key, script, { size: Math.max(1, code.length * HEAP_PER_CODE_BYTE) });
          if (!KEEP_SCRIPTS || !this.scripts.has(key)) transient = script; // not kept (too big): released after this run
        }
        compileMs = performance.now() - tc;
        target = (SYNC_GUEST
          ? script.runSync(prepared.context, { timeout: remaining(), reference: true })
          : await script.run(prepared.context, { timeout, reference: true })) as ivm.Reference;
      }
      // How the prelude reaches main (see prelude start): a wrapped module's namespace is its wrapper's call.
      const form = kind !== 'module' ? MODULE_FORM.script : !wrapped ? MODULE_FORM.module : code.startsWith(WRAPPED_ASYNC_PREFIX) ? MODULE_FORM.wrappedAsync : MODULE_FORM.wrapped;
      let envelope: string;
      if (SYNC_GUEST) {
        // Run main (or take the expression's value) synchronously: a value that is no promise comes back
        // at once; otherwise the call returns once the microtasks have drained, so a script that needs
        // no host callback has settled by then (take). Only a script still waiting (tools, timers, a
        // never-settling promise) takes the async path, with its guards.
        envelope = String(prepared.api.applySync(undefined, [API_OP.start, target.derefInto(), form], { timeout: remaining() }));
        if (envelope === '') envelope = String(prepared.api.applySync(undefined, [API_OP.take], { timeout: remaining() }));
        if (envelope === '') {
          // Parked, it would hold what it has: a run over its memory limit ends here (see overLimit).
          if (!this.checkHeap(run, iso.getHeapStatisticsSync())) throw new Error('aborted');
          armAsync();
          park(msg);
          envelope = String(await prepared.api.apply(undefined, [API_OP.wait], { timeout: remaining(), result: { promise: true, copy: true } }));
        }
      } else {
        const finishing = prepared.api.apply(undefined, [API_OP.finish, target.derefInto(), form], {
          timeout, result: { promise: true, copy: true },
        });
        this.sampleHeap(run); // queued behind finish's synchronous part: read before the script waits
        envelope = String(await finishing);
      }
      if (envelope.startsWith(FULL_GC_MARK)) { run.fullGc = true; envelope = envelope.slice(FULL_GC_MARK.length); }
      if (run.abort) throw new Error('aborted');
      run.answered = true;
      if (run.delivering > 0) {
        // The result settled inside a delivery whose guest code is still running: work the script left
        // going (a loop of microtasks, say). The answer does not wait for it, nor reads the isolate (a
        // sync call would wait for the thread): past a short grace the isolate is disposed, which stops
        // that work, and retired. (Left going in the script's first, synchronous run, such work holds
        // the call that returns the result, so it is a TIMEOUT there: it ran the script's budget out.)
        const idle = await new Promise<boolean>((resolve) => {
          const t = setTimeout(() => resolve(false), LEFTOVER_GRACE_MS);
          run.onIdle = () => { clearTimeout(t); resolve(true); };
        });
        run.onIdle = undefined;
        if (!idle && !iso.isDisposed) {
          try { stoppedCpuMs = Number(iso.cpuTime - cpu0) / 1e6; } catch { /* disposed meanwhile */ }
          this.dispose();
        }
      }
      try { target.release(); } catch { /* disposed */ }
      if (envelope.startsWith('R')) {
        const checked = checkReturnValue(envelope.length > 1 ? envelope.slice(1) : undefined, msg.limits.maxReturnValueBytes);
        ({ ok, returnJson, returnValueBytes, error } = checked);
      } else {
        error = thrownError(envelope.slice(1), filename, wrapped);
      }
    } catch (e) {
      error = this.classify(e, run, filename, wrapped);
    } finally {
      if (wall) clearTimeout(wall);
      if (cpuWatch) clearInterval(cpuWatch);
      for (const h of run.timers.values()) clearTimeout(h);
      run.timers.clear();
      for (const key of toolWaiters.keys()) if (key.startsWith(`${msg.id}:`)) toolWaiters.delete(key);
      this.run = undefined;
    }
    const executionTimeMs = performance.now() - t0;
    let memoryBytes = 0;
    let cpuPercentage = 0;
    let cpuProfile: string | undefined;
    if (!iso.isDisposed) {
      try {
        const cpuMs = Number(iso.cpuTime - cpu0) / 1e6;
        cpuPercentage = Math.min(100, Math.max(0, (cpuMs / Math.max(executionTimeMs, 0.001)) * 100));
        const hs = iso.getHeapStatisticsSync();
        memoryBytes = runHeap(run, hs.used_heap_size + hs.externally_allocated_size);
        if (!(error && LIMIT_KINDS.includes(error.kind)) && this.overLimitLive(hs)) {
          // It ended holding one allocation past its limit (see overLimit): a breach all the same.
          ok = false;
          returnJson = undefined;
          returnValueBytes = undefined;
          error = { kind: 'memory_limit', name: 'MemoryLimitError', message: this.memoryMsg(), stack: '', line: 0, column: 0 };
          memoryBytes = this.memMb * 1048576;
        }
        if (profiling) {
          const profiles = await iso.stopCpuProfiler('run');
          // isolated-vm sometimes returns no thread profile for a short run: answer a valid, empty profile.
          const best = profiles.sort((a, b) => b.profile.nodes.length - a.profile.nodes.length)[0];
          cpuProfile = boundedProfileJson(best ? (best.profile as unknown as CpuProfile) : emptyProfile(executionTimeMs * 1000), Math.floor(msg.limits.maxOutputBytes / 2));
        }
      } catch { /* disposed meanwhile */ }
    } else if (error?.kind === 'memory_limit') {
      memoryBytes = this.memMb * 1048576;
    } else if (stoppedCpuMs !== undefined) {
      cpuPercentage = Math.min(100, Math.max(0, (stoppedCpuMs / Math.max(executionTimeMs, 0.001)) * 100));
      // Its isolate was disposed, busy: no read after the result, and the last taken may predate much of
      // what it made (a read is skipped while deliveries overlap). Counted from the floor: all that isolate held, but a fresh context's.
      memoryBytes = run.heapBytes === undefined ? 0 : runHeap(run, run.heapBytes, true);
    }
    this.executions++;
    const limitHit = error !== undefined && LIMIT_KINDS.includes(error.kind);
    const heavy = this.compiledBytes * RETAINED_PER_CODE_BYTE + this.registryBytes > this.memMb * 1048576 * RETIRE_HEAP_SHARE;
    let spent = iso.isDisposed || limitHit || heavy || this.executions >= RECYCLE_AFTER;
    // An isolate kept for more runs must keep V8's protectors as a fresh one has them (see touched in the
    // prelude). Asked once the run is over: its timers and tool waiters are gone, deliveries refused (this.run
    // is cleared), its microtasks ran to the end of the call that took the result, and the question runs no
    // script code, so nothing of the run's is left to run after it and put back what it changed.
    if (!spent && prepared) {
      try { spent = prepared.api.applySync(undefined, [API_OP.touched], { timeout: 1000 }) !== 0; } catch { spent = true; }
    }
    if (prepared) {
      try {
        prepared.api.release();
        prepared.context.release();
      } catch { /* disposed */ }
    }
    try { transient?.release(); } catch { /* disposed */ }
    if (spent) {
      this.retire();
    } else {
      this.scheduleNext();
    }
    this.busy = false;
    this.lastUsed = Date.now();
    const outcome: WorkerOutcome = {
      ok, returnJson, returnValueBytes, stdout: outText(run.stdout), stderr: outText(run.stderr), executionTimeMs, compileMs, error,
      memoryBytes, cpuPercentage, operationsCount: run.ops, isolateId: `${this.id}#${this.generation}`, cpuProfile,
      ...(run.refused && { refusedToolCalls: run.refused }),
      // A limit's error is all the caller gets of the run: the end of its output goes with it.
      ...(error && TAIL_KINDS.includes(error.kind) && {
        outputTail: { stdout: tailOf(run.stdout), stderr: tailOf(run.stderr) },
      }),
    };
    return { outcome, compiled };
  }

  classify(e: unknown, run: Run, filename: string, wrapped: boolean): ExecutionError {
    if (run.abort) {
      const { kind, message, limit } = run.abort;
      return { kind, name: ABORT_NAMES[kind] ?? 'Error', message, stack: '', line: 0, column: 0, ...(limit ? { limit } : {}) };
    }
    // A compile that ran the isolate out of memory fails as a compile too ("Isolate was disposed ...
    // memory limit"): the isolate's state says which it was, not the error's class.
    if (e instanceof CompileError && !this.isolate.isDisposed) {
      return { kind: 'script_threw', name: 'SyntaxError', message: e.message, stack: '', line: e.line, column: e.column };
    }
    if (e && typeof e === 'object' && 'kind' in e && 'name' in e && !(e instanceof Error)) return e as ExecutionError;
    const err = e as { name?: unknown; message?: unknown; stack?: unknown } | undefined;
    const message = String(err?.message ?? e);
    // isolated-vm's own error, not a script's of those words (a script's comes through the isolate boundary).
    if (this.isolate.isDisposed || (message === ISOLATE_MEMORY_LIMIT && !String(err?.stack ?? '').includes('(<isolated-vm boundary>)'))) {
      return { kind: 'memory_limit', name: 'MemoryLimitError', message: this.memoryMsg(), stack: '', line: 0, column: 0 };
    }
    if (message === 'Script execution timed out.') return { kind: 'timeout', name: 'TimeoutError', stack: '', line: 0, column: 0, ...timeLimitOf(run) };
    if (message === NON_ERROR_THROWN) {
      // Thrown at a script's top level, where the prelude cannot catch it, so isolated-vm has only
      // this much to say about the value. (Inside main, the prelude describes it: name and message, or JSON.)
      return { kind: 'script_threw', name: 'Uncaught', message: 'a value that is not an Error was thrown at the top level of the script (throw an Error, or throw inside main, to keep its details)', stack: '', line: 0, column: 0 };
    }
    const name = typeof err?.name === 'string' ? err.name : 'Error';
    // Thrown at the top level, where the prelude does not describe it: capped here as it would be there.
    const header = `${name}: ${message}`;
    const raw = typeof err?.stack === 'string' ? err.stack : header;
    let kind: ExecutionErrorKind = 'script_threw';
    // Thrown at the top level: a memory_limit only if it reads as the latest one the prelude vouched for
    // (made, or an allocation V8 truly refused), never for its words alone, which any script can write.
    if (name === 'RangeError') {
      try {
        // '' until the prelude vouched for one: a script's own empty RangeError is no match.
        const vouched = run.api ? String(run.api.applySync(undefined, [API_OP.memoryError], { timeout: 1000 })) : '';
        if (vouched !== '' && message === vouched) kind = 'memory_limit';
      } catch { /* the context is gone: the script's words alone say nothing */ }
    }
    return {
      kind, name: clip(name, MAX_ERROR_NAME), message: clip(message, MAX_ERROR_MESSAGE), ...scriptStack(raw, filename, wrapped, crossedFramesStart(raw, header)),
    };
  }
}

// ---- compile-only isolate ----------------------------------------------------------------------

let compileIsolate: ivm.Isolate | undefined;
let compiles = 0;

/** A source whose compile outgrew the compile isolate's memory: a limit breach, not a syntax error. */
class CompileMemoryError extends Error {
  readonly limitBytes = COMPILE_MEMORY_MB * 1048576;
  constructor() { super(COMPILE_MEMORY_MESSAGE); }
}

async function compileOnly(msg: CompileMsg, again = true): Promise<CompiledInfo> {
  // TypeScript: the stripper's thread loads without holding this one (heartbeats go on).
  if (msg.language === 'typescript') await typeStripperStarted();
  const p = prepareSource(msg.source, msg.language, msg.kind);
  if (!compileIsolate || compileIsolate.isDisposed || compiles++ > 1000) {
    // One that ran out of memory is disposed already (disposing it again throws).
    if (compileIsolate && !compileIsolate.isDisposed) compileIsolate.dispose();
    // No onCatastrophicError: run out of memory where V8 cannot stop it, isolated-vm then writes
    // "is_heap_oom = …" and this isolate's heap statistics on stderr, from the compile's own thread,
    // before it aborts this process. No other isolate here does (theirs park their thread instead):
    // the host reads those words as this compilation's doing, not the script's beside it.
    compileIsolate = new ivm.Isolate({ memoryLimit: COMPILE_MEMORY_MB });
    compiles = 0;
  }
  const iso = compileIsolate;
  const info: CompiledInfo = { code: p.code, kind: p.kind, wrapped: p.wrapped, diagnostics: p.diagnostics };
  try {
    if (p.kind === 'module' && !p.wrapped) {
      const mod = await iso.compileModule(p.code, { filename: msg.filename });
      const deps = importSpecifiers(mod);
      mod.release();
      if (deps.length > 0) throw new CompileError(`imports are not available in scripts: ${deps.join(', ')}`, 0, 0);
    } else {
      const bare = bareSource(p);
      let script: ivm.Script;
      try {
        script = await iso.compileScript(p.code, { filename: msg.filename, lineOffset: p.wrapped ? WRAPPED_LINE_OFFSET : 0, produceCachedData: true });
      } catch (e) {
        if (bare === undefined || iso.isDisposed) throw e;
        // The source's own error, or it compiles alone and runs bare (see CheckedScript).
        script = await iso.compileScript(bare, { filename: msg.filename, produceCachedData: true });
        info.code = bare;
        info.wrapped = undefined;
      }
      if (info.wrapped && bare !== undefined && mayCloseWrapper(bare)) {
        try { (await iso.compileScript(bare, { filename: msg.filename })).release(); } catch (e) { script.release(); throw e; }
      }
      const cd = (script as unknown as { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
      if (cd) info.cachedData = new Uint8Array(cd.copy());
      script.release();
    }
  } catch (e) {
    // Out of memory, V8 disposes the isolate and the compile fails ("Isolate was disposed during
    // execution due to memory limit"): its state says so, not the error's class. One that found the
    // isolate disposed otherwise ("Isolate is disposed") is compiled again in a fresh isolate.
    if (iso.isDisposed) {
      if (again && !/memory limit/.test(String((e as Error)?.message))) return compileOnly(msg, false);
      throw new CompileMemoryError();
    }
    if (e instanceof CompileError) throw e;
    throw parseCompileError(String((e as Error).message));
  }
  return info;
}

/**
 * Compilations wait here and run one at a time: in flight together they shared the compile isolate's
 * heap, and its disposal for memory failed each of them as a breach of its own, though each compiled
 * alone. One at a time, a breach there is the source's own, and only the one begun (CompilingMsg)
 * may have taken the worker down: those still queued here have not run.
 */
const compileQueue: CompileMsg[] = [];
let compileBusy = false;
let compileScheduled = false;

/**
 * Begins the next compilation after the poll phase has read every message already in the pipe: a
 * cancel the host sent while guest code held this thread (every caller of the compilation left)
 * drops it first, unbegun.
 */
function scheduleCompile(): void {
  if (compileScheduled) return;
  compileScheduled = true;
  setImmediate(() => { compileScheduled = false; compileNext(); });
}

/** Drops a queued (not begun) compilation; false when it is not queued here. */
function dropQueuedCompile(id: number): boolean {
  const i = compileQueue.findIndex((m) => m.id === id);
  if (i < 0) return false;
  compileQueue.splice(i, 1);
  return true;
}

function compileNext(): void {
  if (compileBusy) return;
  let msg = compileQueue.shift();
  // One the host has answered TIMEOUT already (it waited behind a script or other compilations):
  // compiling it now would be work for nobody. Answered, so the host stops counting it begun.
  while (msg?.expiresAt !== undefined && Date.now() > msg.expiresAt) {
    send({ t: 'compiled', id: msg.id, ok: false, error: { message: 'the compilation was past its deadline before it began', line: 0, column: 0 } });
    msg = compileQueue.shift();
  }
  if (!msg) return;
  compileBusy = true;
  // Before anything of it runs: should the worker die meanwhile, the host knows this one may have done it.
  send({ t: 'compiling', id: msg.id });
  compileOnly(msg).then(
    (info) => send({ t: 'compiled', id: msg.id, ok: true, info }),
    (e) => {
      if (e instanceof CompileMemoryError) {
        send({ t: 'compiled', id: msg.id, ok: false, error: { message: e.message, line: 0, column: 0, memoryLimitBytes: e.limitBytes } });
        return;
      }
      const ce = e instanceof CompileError ? e : new CompileError(String((e as Error)?.message ?? e), 0, 0);
      send({ t: 'compiled', id: msg.id, ok: false, error: { message: ce.message, line: ce.line, column: ce.column } });
    },
  ).finally(() => { compileBusy = false; scheduleCompile(); });
}

// ---- message loop ------------------------------------------------------------------------------

const slots: Slot[] = [];
let slotSeq = 0;
const running = new Map<number, Slot>();
/**
 * Running executions that wait on the host (tools, timers) and hold no thread: each keeps its own
 * isolate (its memory limit stays its own), and the next execution starts in another slot. The
 * host bounds how many a worker holds (pool.ts); extra slots idle for EXTRA_SLOT_IDLE_MS go away.
 */
const parked = new Set<number>();
/**
 * Of `parked`, the tool runs (`nested`: a registered tool's run for an execution here). They always
 * park and do not count against MAX_PARKED: their caller waits on them, and they are bounded by its
 * fan-out (MAX_TOOLS_IN_FLIGHT per execution, enforced in onTool; tools call no registered tool).
 * Counted there, eight calls of one caller filled the worker's room and no other caller's run started
 * until those calls ended. MAX_PARKED bounds the callers' own executions parked here.
 */
const parkedTools = new Set<number>();
/** Executions waiting on the host that kept their slot, the room for parked ones being full (see park()). */
const keptSlot = new Set<number>();
const MAX_PARKED = Math.max(0, Number(process.env.SE_MAX_PARKED ?? 8));
const EXTRA_SLOT_IDLE_MS = Math.max(0, Number(process.env.SE_IDLE_SLOT_MS ?? 30_000));

function park(msg: ExecMsg): void {
  if (msg.nested) parkedTools.add(msg.id);
  else if (parked.size - parkedTools.size >= MAX_PARKED) {
    // A caller's own execution keeps its place when the room is full: nothing else starts here
    // meanwhile. It holds no thread all the same: the host is told, or it would take the worker's
    // other parked executions for held behind it, and answer them itself.
    keptSlot.add(msg.id);
    send({ t: 'parked', id: msg.id, keptSlot: true });
    return;
  }
  parked.add(msg.id);
  send({ t: 'parked', id: msg.id });
  scheduleStarts();
}

function reapIdleSlots(): void {
  const now = Date.now();
  for (let i = slots.length - 1; i >= 0 && slots.length > ISOLATES; i--) {
    const s = slots[i]!;
    if (s.busy || now - s.lastUsed < EXTRA_SLOT_IDLE_MS) continue;
    s.gone = true;
    s.dispose(false);
    slots.splice(i, 1);
  }
}
/**
 * Executions waiting for a slot: the host sends one ahead to a busy single-isolate worker (pool.ts),
 * which starts it, in arrival order, once the slot has sent its result. Starts happen from
 * setImmediate, after the poll phase has read every message already in the pipe: a cancel the host
 * sent while guest code held this thread is seen before the execution it cancels could start.
 */
const queued: ExecMsg[] = [];
/**
 * Tool runs for executions running here (`nested`), from the same setImmediate: ahead of `queued`
 * (their callers wait on them) and whatever the slots' use. One the host gave up on while guest code
 * held this thread (its call timed out) is dropped by the cancel behind it, never begun.
 */
const queuedTools: ExecMsg[] = [];
/**
 * Tool replies read behind a tool run not begun yet, delivered once it has begun, in the order read
 * (as when tool runs began on arrival). Delivered first, a reply's guest code would run beside the
 * tool run's synchronous start, and the end of that delivery could not be told to the host until the
 * tool run let go of this thread: the host would take that execution to hold a thread all along.
 */
const repliesBehindTools: (() => void)[] = [];
let startScheduled = false;

function deliverRepliesBehindTools(): void {
  if (queuedTools.length === 0) for (const deliver of repliesBehindTools.splice(0)) deliver();
}

function startOrQueue(msg: ExecMsg): void {
  if (msg.nested) queuedTools.push(msg);
  else queued.push(msg);
  scheduleStarts();
}

function scheduleStarts(): void {
  if (startScheduled || (queued.length === 0 && queuedTools.length === 0)) return;
  startScheduled = true;
  setImmediate(() => {
    startScheduled = false;
    while (queuedTools.length > 0 || (queued.length > 0 && running.size - parked.size < ISOLATES)) {
      const tool = queuedTools.shift();
      // The host counts a tool run's time (and takes the worker for hung on it) from here only.
      if (tool) send({ t: 'began', id: tool.id });
      startExec(tool ?? queued.shift()!);
      if (tool) deliverRepliesBehindTools();
      // Guest code may just have held this thread (until it parked): read what arrived meanwhile,
      // a cancel above all, before starting the next.
      if (SYNC_GUEST) { scheduleStarts(); return; }
    }
  });
}

function startExec(msg: ExecMsg): void {
  onExec(msg).catch((e) => {
    send({
      t: 'result', id: msg.id,
      outcome: {
        ok: false, stdout: '', stderr: '', executionTimeMs: 0, memoryBytes: 0, cpuPercentage: 0, operationsCount: 0, isolateId: '',
        error: { kind: 'worker_crashed', name: 'InternalError', message: `worker error: ${String((e as Error)?.message ?? e)}`, stack: '', line: 0, column: 0 },
      },
    });
  }).finally(scheduleStarts);
}

/**
 * Compiled code (and V8 cache data) by cache key, so the host sends a script's code once per worker
 * and then only its key (`codeRef`). Kept at receipt, in arrival order, so a later `codeRef` finds it;
 * bounded by entries and bytes (the host mirrors the entry bound; a miss costs one NeedCodeMsg).
 */
const codeCache = new LRUCache<string, { code: string; cachedData?: Uint8Array }>({
  max: 256, // as KNOWN_CODE_ENTRIES in supervisor.ts
  maxSize: Math.max(1, Number(process.env.SE_CODE_CACHE_BYTES ?? 64 * 1048576)),
  sizeCalculation: (e) => Math.max(1, e.code.length * 2 + (e.cachedData?.byteLength ?? 0)),
});

/** Fills in the code of a `codeRef` execution, or asks the host for it (false: not runnable yet). */
function withCode(msg: ExecMsg): boolean {
  if (msg.codeRef) {
    const kept = codeCache.get(msg.cacheKey);
    if (!kept) { send({ t: 'needCode', id: msg.id }); return false; }
    msg.code = kept.code;
    msg.cachedData = kept.cachedData;
  } else if (msg.compiled && !codeCache.has(msg.cacheKey)) {
    codeCache.set(msg.cacheKey, { code: msg.code, cachedData: msg.cachedData });
  }
  return true;
}

/** Drops a queued (not started) execution or tool run; false when it is not queued here. */
function dropQueued(id: number): boolean {
  for (const list of [queuedTools, queued]) {
    const i = list.findIndex((m) => m.id === id);
    if (i < 0) continue;
    list.splice(i, 1);
    deliverRepliesBehindTools();
    return true;
  }
  return false;
}

function freeSlot(memMb: number): Slot {
  let s = slots.find((x) => !x.busy && x.memMb === memMb) ?? slots.find((x) => !x.busy);
  if (!s) {
    s = new Slot(slotSeq++, memMb);
    slots.push(s);
  }
  return s;
}

async function onExec(msg: ExecMsg): Promise<void> {
  if (msg.testHook && TEST_HOOKS) {
    if (msg.testHook === 'segv') process.kill(process.pid, 'SIGSEGV');
    else if (msg.testHook === 'abort') process.abort();
    else if (msg.testHook === 'hang') { const end = Date.now() + 600_000; while (Date.now() < end) { /* hang */ } }
    else if (msg.testHook === 'oom') { const keep: number[][] = []; for (;;) keep.push(new Array(1e6).fill(1.5)); }
  }
  const slot = freeSlot(msg.limits.memoryMb);
  slot.busy = true;
  running.set(msg.id, slot);
  try {
    // TypeScript not compiled yet is stripped in the run: a new stripper thread loads first without
    // holding this thread (its slot kept), not within the run's own bound on the stripper.
    if (!msg.compiled && msg.language === 'typescript') await typeStripperStarted();
    const { outcome, compiled } = await slot.execute(msg);
    send({ t: 'result', id: msg.id, outcome, compiled });
  } finally {
    running.delete(msg.id);
    parked.delete(msg.id);
    parkedTools.delete(msg.id);
    keptSlot.delete(msg.id);
  }
}

process.on('message', (raw: HostToWorker) => {
  switch (raw.t) {
    case 'exec':
      if (withCode(raw)) startOrQueue(raw);
      break;
    case 'compile':
      compileQueue.push(raw);
      scheduleCompile();
      break;
    case 'cancel':
      if (dropQueued(raw.id)) send({ t: 'dropped', id: raw.id });
      // Answered, so the host stops counting it in flight.
      else if (dropQueuedCompile(raw.id)) send({ t: 'compiled', id: raw.id, ok: false, error: { message: 'the compilation was cancelled before it began: its callers left', line: 0, column: 0 } });
      else running.get(raw.id)?.abort('cancelled', 'the execution was cancelled');
      break;
    case 'toolReply': {
      const key = `${raw.id}:${raw.callId}`;
      const w = toolWaiters.get(key);
      toolWaiters.delete(key);
      if (w && queuedTools.length > 0) repliesBehindTools.push(() => w(raw.envelope));
      else w?.(raw.envelope);
      break;
    }
    case 'shutdown':
      process.exit(0);
  }
});

process.on('disconnect', () => process.exit(0));

// Ctrl-C, a closed terminal and systemd's KillMode=control-group signal the whole process group,
// this process too. The server drains on them (main.ts), so this process must outlive them to
// finish what runs: it ends when the host shuts it down, the IPC channel drops, or (server killed
// outright) the parent watch below sees the server gone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});

// A server killed outright sends no disconnect this process can read while guest code holds its
// thread (a synchronous run ends only at the script's own time limit: minutes at Development
// level). A thread of its own watches the parent and ends the process once it is gone. Its cost:
// ~18 MiB of RSS (an isolate and a Node environment of its own), counted in the worker's RSS
// budget like everything else here; the limits keep it from growing past that (it boots in ~7 MiB
// of heap, so 16). Should it still die, the process goes on without it (disconnect still ends it).
new Worker(
  `const { workerData } = require('node:worker_threads');
   setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 500);`,
  { eval: true, workerData: process.ppid, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2, stackSizeMb: 1 } },
)
  // Its code only: the supervisor reads this process's stderr for V8's out-of-memory words.
  .on('error', (err: NodeJS.ErrnoException) => process.stderr.write(`the parent-watch thread stopped (${err.code ?? err.name})\n`))
  .unref();

for (let i = 0; i < ISOLATES; i++) slots.push(new Slot(slotSeq++, Number(process.env.SE_DEFAULT_MEMORY_MB ?? 64)));
setInterval(() => {
  reapIdleSlots();
  send({ t: 'hb', rss: process.memoryUsage.rss(), recycles, isolates: slots.length });
}, 500).unref();
send({ t: 'ready' });
