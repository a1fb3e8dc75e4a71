/** Source handling shared by host and worker: hashing, cache keys, TypeScript stripping, kind detection. */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CompileError } from './errors.ts';
import type { Diagnostic, ScriptKind, ScriptLanguage } from './types.ts';
import { parseJs } from './acorn-parser.ts';
import { MAX_WRAPPED_SOURCE, moduleAsScript } from './module-script.ts';
import type { StripReply, StripRequest, StripThreadData } from './type-strip-thread.ts';

import { sourceHash } from '../source-hash.ts';

export { sourceHash };

export function cacheKeyOf(hash: string, language: ScriptLanguage, kind: ScriptKind | undefined): string {
  return `${hash}:${language === 'typescript' ? 'ts' : 'js'}:${kind ?? 'auto'}`;
}

/** A file name that is safe to show in a stack trace: a base name, no host path. */
export function safeFilename(name: string | undefined, language: ScriptLanguage): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^\w.\-]/g, '_').slice(0, 100);
  return clean || (language === 'typescript' ? 'script.ts' : 'script.js');
}

/** import/export starting a statement: at a line's start, or after another statement on the same line (one-liners). */
const MODULE_SYNTAX = /(^|[;}])[ \t]*(export\s|import\s*[\w{*'"])/m;

export function detectKind(code: string): ScriptKind {
  return MODULE_SYNTAX.test(code) ? 'module' : 'expression';
}

export interface PreparedSource {
  code: string;
  kind: ScriptKind;
  diagnostics: Diagnostic[];
  /**
   * Compiled at WRAPPED_LINE_OFFSET: a module rewritten as a classic script (see module-script.ts),
   * cacheable like one, or a classic script inside try/catch (scriptInTry).
   */
  wrapped?: boolean;
}

/**
 * A classic script runs inside try/catch, so that a value thrown at its top level never crosses
 * isolated-vm alive: crossing, it is copied out (its message and stack read) outside the run's
 * timeout, where a getter, a Proxy or Error.prepareStackTrace spins unbounded, holding the worker.
 * Caught, it becomes the script's value as a thenable rejecting with it, which the prelude describes
 * as any rejection, under its call's timeout (a promise would be an unhandled rejection, which
 * isolated-vm copies out just the same). A try statement keeps the completion value and the top-level
 * declarations; a "use strict" directive is repeated before it (inside the block it would be a plain
 * string); the source starts a line of its own, compiled at WRAPPED_LINE_OFFSET, so every position is
 * kept. A source that is no program by itself could close the block early and throw past the catch:
 * see unwrapScript and mayCloseWrapper. In a block a function declaration is lexical, so a source valid
 * only outside one (`var f; function f(){}`) runs bare (worker.ts CheckedScript), as does one whose value
 * a sloppy function declaration would change (functionLast); the other changes of
 * meaning (strict top-level functions, lexical names unseen by indirect eval) are a known limit (README).
 */
const SCRIPT_SUFFIX = '\n}catch(e){({then(_,j){j(e)}})}';

export function scriptInTry(code: string): string | undefined {
  // A hashbang is only allowed first: it becomes a line comment of the same length.
  const body = code.startsWith('#!') ? `//${code.slice(2)}` : code;
  const strict = strictPrologue(body);
  if (!strict && functionLast(body)) return undefined;
  return `${strict ? "'use strict';" : ''}try{\n${body}${SCRIPT_SUFFIX}`;
}

/** A plain function declaration starting a line or following `;`, `}`, `:` (a label) or a comment: maybe at the top level. */
const FUNCTION_STATEMENT = /(?:^|[;}:]|\*\/)\s*function\b/m;

/**
 * Whether a sloppy script's value would change in the wrapper's block: there V8 runs a plain function
 * declaration (Annex B) as an assignment, whose value becomes the completion value, where at the top
 * level it has none (`7; function g(){}` is 7 bare, g wrapped; one in a nested block is g either way).
 * That is so when a top-level plain function declaration is followed by no top-level expression
 * statement, which would set the value again: such a script runs bare (unwrapped, a known limit:
 * README). Parsed (acorn) only when a function statement may be at the top level, once per compile;
 * a source acorn refuses stays wrapped (V8 tells), and so does one over MAX_WRAPPED_SOURCE (the bound
 * of moduleAsScript's parse): acorn held the worker's thread 20-200 ms for a 100 KiB script (V8 compiles it in ~3 ms),
 * 0.5-1 s for 1 MiB; the wrapper's top-level-throw guard is kept (its value is the block's: README).
 */
function functionLast(body: string): boolean {
  if (body.length > MAX_WRAPPED_SOURCE || !FUNCTION_STATEMENT.test(body)) return false;
  let program: { body: { type: string; body?: unknown; async?: boolean; generator?: boolean }[] };
  try {
    program = parseJs(body, { ecmaVersion: 'latest', sourceType: 'script' }) as never;
  } catch {
    return false;
  }
  let last = false;
  for (let stmt of program.body) {
    while (stmt.type === 'LabeledStatement') stmt = stmt.body as typeof stmt;
    if (stmt.type === 'ExpressionStatement') last = false;
    else if (stmt.type === 'FunctionDeclaration' && !stmt.async && !stmt.generator) last = true;
  }
  return last;
}

/** The source inside a scriptInTry wrapper (compiled alone, it gives V8's own errors for it). */
export function unwrapScript(code: string): string {
  return code.slice(code.indexOf('\n') + 1, code.length - SCRIPT_SUFFIX.length);
}

/**
 * Whether a source could close the wrapper's block early: the block of a try must be followed by
 * `catch` or `finally` (keywords take no escapes), which only the source can write. Such a source
 * must compile alone too.
 */
export const mayCloseWrapper = (source: string): boolean => /catch|finally/.test(source);

const SPACE = /[\t\v\f \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]/;
const LINE_END = /[\n\r\u2028\u2029]/;

/**
 * Skips white space and comments from i: where the next token starts, and whether a line ended before
 * it. A classic script has HTML-like comments too: `<!--` anywhere, `-->` first on a line (blanks and
 * comments before it allowed; the source's start counts as a line start, as V8 has it), to the line's end.
 */
function skipBlank(code: string, i: number): { at: number; newline: boolean } {
  let newline = false;
  const start = i === 0;
  while (i < code.length) {
    const c = code[i]!;
    if (LINE_END.test(c)) { newline = true; i++; }
    else if (SPACE.test(c)) i++;
    else if (code.startsWith('//', i) || code.startsWith('<!--', i) || ((newline || start) && code.startsWith('-->', i))) {
      while (i < code.length && !LINE_END.test(code[i]!)) i++;
    } else if (code.startsWith('/*', i)) {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return { at: code.length, newline };
      if (LINE_END.test(code.slice(i, end))) newline = true;
      i = end + 2;
    } else break;
  }
  return { at: i, newline };
}

/**
 * Tokens that go on with an expression after a string literal, even on the next line (no ASI before
 * them). A `.` before a digit starts a number (`.5`), which ends the statement.
 */
const CONTINUES = /^(?:\.(?!\d)|[[(?,=+\-*/%&|^<>`]|!=|in\b|instanceof\b)/;

/**
 * Whether a script's directive prologue (its leading string-literal statements) holds "use strict".
 * A statement that is more than a string literal ends the prologue; in doubt, it is not a directive.
 */
export function strictPrologue(code: string): boolean {
  let i = 0;
  for (;;) {
    i = skipBlank(code, i).at;
    const q = code[i];
    if (q !== '"' && q !== "'") return false;
    let j = i + 1;
    while (j < code.length && code[j] !== q) {
      // A line continuation is a backslash and a line end, \r\n being one.
      if (code[j] === '\\') j += code.startsWith('\r\n', j + 1) ? 2 : 1;
      else if (code[j] === '\n' || code[j] === '\r') return false;
      j++;
    }
    if (j >= code.length) return false;
    const raw = code.slice(i + 1, j);
    const next = skipBlank(code, j + 1);
    const c = code[next.at];
    const ends = c === undefined || c === ';' || (next.newline && (code.startsWith('++', next.at) || code.startsWith('--', next.at) || !CONTINUES.test(code.slice(next.at, next.at + 11))));
    if (!ends) return false;
    if (raw === 'use strict') return true;
    i = c === ';' ? next.at + 1 : next.at;
  }
}

/**
 * How long stripTypes waits for the type stripper, in ms. amaro's parser backtracks exponentially on
 * some tiny sources (`'const x = ' + 'a ? (b): c => '.repeat(n) + 'd : e;'`: 0.3 s at 240 bytes,
 * 4 s at 300, 95 s at 350), and it ran on the caller's thread with no bound: a worker hung until the
 * supervisor killed it (its neighbours failing with it), the server's own thread during a migration.
 * Realistic TypeScript strips far faster: 1 MiB of this project's own sources (the default
 * max_source_size) in 0.15-0.45 s, 0.9 s at worst with two cores six times oversubscribed; 4 MiB in
 * 0.5-1.25 s. A source over a few MiB of TypeScript may be refused (the message says so).
 * The bound stays under the supervisor's default hang grace (hangGraceMs: 2 s past an execution's
 * time limit, which its compilation shares), so that a worker that waited it out answers before it
 * is taken for hung, even for a time limit near 0 (a thread's first start comes on top: ~0.1-0.8 s);
 * and well under its heartbeat timeout (5 s), which covers a compile-only request.
 */
export const STRIP_TIME_BOUND_MS = 1500;

interface StripThread { worker: Worker; port: MessagePort; flag: Int32Array; nextId: number; spawnedAt: number }
let thread: StripThread | undefined;

/**
 * The type stripper's thread (type-strip-thread.ts), started on first use and kept, unref'd so that
 * it never keeps a process alive. One that dies (error, exit) or is terminated is replaced on the
 * next call. Its heap is bounded like this process's (a V8 heap flag holds for every isolate of
 * the process: 256 MiB in a worker) and its memory counts in the worker's RSS budget (TypeScript
 * runs took a worker from 69 to 96 MiB, 86 with amaro on the worker's own thread). No lower maxOldGenerationSizeMb is set: a large source
 * exhausting it in one allocation was a fatal error of the whole process (V8's "Reached heap
 * limit", which the supervisor reads as a script's). Its stack is about a main thread's (V8's
 * 984 KiB and the 192 KiB Node keeps back; a thread's default is 4 MiB), so that TypeScript nests
 * as deep before "nests too deeply" as it did on the caller's thread.
 */
function stripThread(): StripThread {
  if (thread) return thread;
  const { port1, port2 } = new MessageChannel();
  const flag = new Int32Array(new SharedArrayBuffer(12));
  const worker = new Worker(new URL('./type-strip-thread.ts', import.meta.url), {
    workerData: { port: port2, flag } satisfies StripThreadData,
    transferList: [port2],
    resourceLimits: { stackSizeMb: 1.15 },
  });
  const t: StripThread = { worker, port: port1, flag, nextId: 0, spawnedAt: performance.now() };
  const gone = () => {
    if (thread === t) thread = undefined;
    port1.close();
    // A wait for its start (typeStripperStarted) ends now, not when its bound runs out.
    if (Atomics.load(flag, 1) === 0) {
      Atomics.store(flag, 1, -1);
      Atomics.notify(flag, 1);
    }
  };
  worker.on('error', gone).on('exit', gone).unref();
  port1.unref();
  thread = t;
  return t;
}

/**
 * How long typeStripperStarted waits for a new thread to load amaro: off the caller's thread, so it
 * may be long; a machine busy enough took over 1.5 s (STRIP_TIME_BOUND_MS) to load it.
 */
const STRIPPER_START_WAIT_MS = 15_000;

/**
 * Starts the type stripper's thread (if it is not running) and resolves once amaro is loaded there,
 * or STRIPPER_START_WAIT_MS later: a caller that can wait asynchronously (a compile, a migration's
 * checks) waits for the start here, without holding its thread, so that stripTypes's bound on its
 * thread is the source's alone. Never rejects (stripTypes says what went wrong).
 */
export async function typeStripperStarted(): Promise<void> {
  const t = stripThread();
  if (Atomics.load(t.flag, 1) !== 0) return;
  const wait = Atomics.waitAsync(t.flag, 1, 0, STRIPPER_START_WAIT_MS);
  if (wait.async) await wait.value;
}

/**
 * Hashes of sources the stripper did not finish within the bound (the last few): refused at once
 * when they come again, not after another full wait (a migration strips a tool's source several
 * times on the server's own thread; a caller may resend one). Checked only when there is any. Only
 * sources up to TOO_COMPLEX_MAX_LENGTH are kept: realistic TypeScript that short strips in ~10-50 ms,
 * so its timing out is the source's doing, not a loaded host's, and is so again.
 */
const tooComplex = new Set<string>();
const TOO_COMPLEX_KEPT = 32;
const TOO_COMPLEX_MAX_LENGTH = 64 * 1024;

function tooComplexError(): CompileError {
  return new CompileError(`TypeScript: stripping the types took longer than ${STRIP_TIME_BOUND_MS} ms (the source is too complex, or too large, for the type stripper); `
    + 'simplify it (conditional expressions whose branches read as arrow functions with return types, `a ? (b): c => d : e`, are a known cause) or send it as JavaScript', 0, 0);
}

/**
 * Types become spaces (positions are kept); a syntax error says where. amaro runs on its own thread
 * (stripThread), this one blocked until it replies or STRIP_TIME_BOUND_MS have passed: then the
 * thread is terminated (that stops its WebAssembly too) and the source refused as too complex.
 */
export function stripTypes(source: string): string {
  const hash = tooComplex.size > 0 && source.length <= TOO_COMPLEX_MAX_LENGTH ? sourceHash(source) : undefined;
  if (hash !== undefined && tooComplex.has(hash)) throw tooComplexError();
  const t = stripThread();
  // A thread just started loads amaro first (~0.1-0.8 s): its start has a bound of its own, so that
  // the first source is not given less time than the others. One slow to start is left loading, not
  // dropped, and not sent the source: the next call, or one that waited for it (typeStripperStarted),
  // finds it ready rather than starting another as slowly.
  if (Atomics.load(t.flag, 1) === 0 && Atomics.wait(t.flag, 1, 0, STRIP_TIME_BOUND_MS) === 'timed-out' && Atomics.load(t.flag, 1) === 0) {
    if (performance.now() - t.spawnedAt > STRIPPER_START_WAIT_MS) dropThread(t); // not loading: stuck
    throw new CompileError(`TypeScript: the type stripper did not start within ${STRIP_TIME_BOUND_MS} ms; try again`, 0, 0);
  }
  const id = ++t.nextId;
  let seen = Atomics.load(t.flag, 0);
  t.port.postMessage({ id, source } satisfies StripRequest);
  const deadline = performance.now() + STRIP_TIME_BOUND_MS;
  for (;;) {
    if (Atomics.wait(t.flag, 0, seen, Math.max(0, deadline - performance.now())) === 'timed-out') break;
    seen = Atomics.load(t.flag, 0);
    let reply: StripReply | undefined;
    do reply = receiveMessageOnPort(t.port)?.message as StripReply | undefined;
    while (reply && reply.id !== id);
    if (!reply) continue;
    if ('code' in reply) return reply.code;
    throw new CompileError(reply.error.message, reply.error.line, reply.error.column);
  }
  dropThread(t);
  // A thread that never took the source up had died (its exit is only heard once this thread is free).
  if (Atomics.load(t.flag, 2) !== id) throw new CompileError('TypeScript: the type stripper stopped before it read the source; try again', 0, 0);
  if (source.length <= TOO_COMPLEX_MAX_LENGTH) {
    tooComplex.add(hash ?? sourceHash(source));
    if (tooComplex.size > TOO_COMPLEX_KEPT) tooComplex.delete(tooComplex.values().next().value!);
  }
  throw tooComplexError();
}

/** Ends a thread stuck on a source (termination stops its WebAssembly too): the next call starts another. */
function dropThread(t: StripThread): void {
  void t.worker.terminate().catch(() => {});
  if (thread === t) thread = undefined;
  t.port.close();
}

/**
 * A `//# sourceURL=` (or `//@`) comment, by text: maybe one, then the source is parsed to be sure. V8
 * takes any JavaScript white space but a line break between the mark and the name (\v, \f, U+00A0,
 * U+FEFF, Zs), so the same does here.
 */
const SOURCE_URL = /\/\/[#@][^\S\n\r\u2028\u2029]*sourceURL=/;
const SOURCE_URL_COMMENT = /^[#@][^\S\n\r\u2028\u2029]*sourceURL=/;

/**
 * The source with its sourceURL comments made plain comments (`//#` becomes `// `, same length): V8
 * names the script's frames by one, so the name the caller gave was lost (the script's own frames were
 * dropped from its error stack) and a wrapped script's line offset with it (an error on line 2 said 3).
 * Only real comments are touched (acorn finds them); a source acorn refuses is left as it is.
 */
function withoutSourceURL(code: string, kind: ScriptKind): string {
  if (!SOURCE_URL.test(code)) return code;
  const at: number[] = [];
  try {
    parseJs(code.startsWith('#!') ? `//${code.slice(2)}` : code, {
      ecmaVersion: 'latest', sourceType: kind === 'module' ? 'module' : 'script', allowAwaitOutsideFunction: kind === 'module',
      onComment: (block, text, start) => { if (!block && SOURCE_URL_COMMENT.test(text)) at.push(start + 2); },
    });
  } catch {
    return code;
  }
  let out = code;
  for (const i of at) out = `${out.slice(0, i)} ${out.slice(i + 1)}`;
  return out;
}

/** Strips TypeScript types (positions are kept: types become spaces) and decides the kind. */
export function prepareSource(source: string, language: ScriptLanguage, kind: ScriptKind | undefined): PreparedSource {
  const diagnostics: Diagnostic[] = [];
  let code = source;
  if (language === 'typescript') {
    code = stripTypes(source);
    diagnostics.push({ severity: 'info', message: 'TypeScript types were stripped, not type-checked', line: 0, column: 0 });
  }
  const k = kind ?? detectKind(code);
  code = withoutSourceURL(code, k);
  if (k === 'module' && !/export\s+default\b|\bas\s+default\b/.test(code)) {
    throw new CompileError('a module script must export default (async) function main(args, ctx)', 0, 0);
  }
  for (const [re, what] of [
    [/\bprocess\s*\./, '`process` is not available in scripts'],
    [/\brequire\s*\(/, '`require` is not available in scripts'],
    [/\bimport\s*\(/, 'dynamic import() is not available in scripts'],
    [/\bsetInterval\s*\(/, '`setInterval` is not available in scripts (use setTimeout)'],
  ] as const) {
    const m = re.exec(code);
    if (m) {
      const before = code.slice(0, m.index);
      const line = before.split('\n').length;
      diagnostics.push({ severity: 'warning', message: what, line, column: m.index - before.lastIndexOf('\n') });
    }
  }
  const wrapped = k === 'module' ? moduleAsScript(code) : scriptInTry(code);
  return wrapped === undefined ? { code, kind: k, diagnostics } : { code: wrapped, kind: k, diagnostics, wrapped: true };
}

/** V8 syntax errors from isolated-vm end with "[file:line:column]". */
export function parseCompileError(message: string): CompileError {
  const m = /\s*\[[^\]]*?:(\d+):(\d+)\]\s*$/.exec(message);
  const text = m ? message.slice(0, m.index) : message;
  // V8 says where await is allowed, not how to get there from a plain script (typed into grpcurl).
  const hint = /await is only valid in async functions and the top level bodies of modules$/.test(text)
    ? ' (a plain script cannot await outside a function: make it a module, e.g. `export default async () => { ... }`)' : '';
  return new CompileError(text + hint, m ? Number(m[1]) : 0, m ? Number(m[2]) : 0);
}
