/** Source handling shared by host and worker: hashing, cache keys, TypeScript stripping, kind detection. */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { CompileError } from './errors.ts';
import type { Diagnostic, ScriptKind, ScriptLanguage } from './types.ts';
import { parseJs } from './acorn-parser.ts';
import { MAX_WRAPPED_SOURCE, moduleAsScript } from './module-script.ts';

export function sourceHash(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

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

interface TypeStripper { transformSync(source: string, options: { mode: 'strip-only' }): { code: string } }
/**
 * amaro's own error: its position and whether the syntax is the cause. The position is the one its
 * report draws: line 1-based (ended by \n, \r\n or \r only), column 0-based in terminal cells
 * (a tab is 4, a wide character 2, a combining mark 0, and an astral one a cell more).
 */
interface StripperError { code?: string; message?: string; startLine?: number; startColumn?: number }

const require = createRequire(import.meta.url);
let stripper: TypeStripper | undefined;

/**
 * amaro (the type stripper Node itself bundles), loaded by this module so that it can be loaded
 * again: its WebAssembly instance overflows its stack on deeply nested source, and after such a
 * trap every later call fails ("memory access out of bounds") until a fresh instance is made.
 * Node's own stripTypeScriptTypes cannot be reset, and reports no position either.
 */
function loadStripper(): TypeStripper {
  for (const key of Object.keys(require.cache)) if (key.includes('/node_modules/amaro/')) delete require.cache[key];
  return require('amaro') as TypeStripper;
}

/** Types become spaces (positions are kept); a syntax error says where. */
export function stripTypes(source: string): string {
  stripper ??= loadStripper();
  try {
    return stripper.transformSync(source, { mode: 'strip-only' }).code;
  } catch (e) {
    const err = e as StripperError;
    if (err.code === 'InvalidSyntax' || err.code === 'UnsupportedSyntax') {
      const [line, column] = err.startLine ? v8Position(source, err.startLine, err.startColumn ?? 0) : [0, 0];
      throw new CompileError(`TypeScript: ${String(err.message)}`, line, column);
    }
    // A trap may leave the instance unusable (see loadStripper).
    stripper = undefined;
    // Deep nesting runs its stack out: a RangeError, or a trap "memory access out of bounds". A
    // panic is a trap "unreachable": in practice an error it cannot draw, too far along its line.
    if ((e as Error | null)?.name === 'RuntimeError' && (e as Error).message === 'unreachable') throw unplaceable(source);
    throw new CompileError('TypeScript: the source nests too deeply to strip its types', 0, 0);
  }
}

/** amaro panics drawing a syntax error past this column (in its cells) of a line: minified TypeScript. */
const AMARO_MAX_COLUMN = 65_535;

/**
 * The panic's error when it names no place: the first line that draws past AMARO_MAX_COLUMN (cells
 * estimated from above: a tab 4, from U+1100, where wide characters start, 2) holds the error.
 */
function unplaceable(source: string): CompileError {
  for (let start = 0; ;) {
    AMARO_LINE_END.lastIndex = start;
    const m = AMARO_LINE_END.exec(source);
    const end = m?.index ?? source.length;
    if (end - start > AMARO_MAX_COLUMN / 4 && cellsAtMost(source.slice(start, end)) > AMARO_MAX_COLUMN) {
      const line = (source.slice(0, start).match(V8_LINE_END)?.length ?? 0) + 1;
      return new CompileError(`TypeScript: a syntax error past column ${AMARO_MAX_COLUMN} of line ${line}, whose place the type stripper cannot tell (the line is ${end - start} characters long)`, line, 0);
    }
    if (!m) return new CompileError('TypeScript: the type stripper failed on this source and gave no reason', 0, 0);
    start = end + m[0].length;
  }
}

function cellsAtMost(line: string): number {
  let cells = 0;
  for (const c of line) cells += c === '\t' ? 4 : c.codePointAt(0)! >= 0x1100 ? 2 : 1;
  return cells;
}

const AMARO_LINE_END = /\r\n|\r|\n/g;
const V8_LINE_END = /\r\n|[\r\n\u2028\u2029]/g;

/**
 * amaro's (line, cell column) as V8 gives a JS error's: 1-based line (U+2028/U+2029 end one too)
 * and 1-based column in UTF-16 units, so that a TS and a JS error point the same way.
 */
function v8Position(source: string, amaroLine: number, cells: number): [number, number] {
  let start = 0;
  AMARO_LINE_END.lastIndex = 0;
  for (let n = 1, m; n < amaroLine && (m = AMARO_LINE_END.exec(source)); n++) start = m.index + m[0].length;
  AMARO_LINE_END.lastIndex = start;
  const end = AMARO_LINE_END.exec(source)?.index ?? source.length;
  const offset = start + offsetAtCells(source.slice(start, end), cells);
  let line = 1;
  let lineStart = 0;
  V8_LINE_END.lastIndex = 0;
  for (let m; (m = V8_LINE_END.exec(source)) && m.index < offset;) {
    line++;
    lineStart = m.index + m[0].length;
  }
  return [line, offset - lineStart + 1];
}

/**
 * The UTF-16 offset in a line of what amaro draws `cells` cells in. The width of a character is
 * amaro's own (its Unicode tables, its tab), so it is asked: the longest prefix of the line it
 * draws no wider (zero-width characters before the token belong to the prefix) is found by halving:
 * a few calls on text no longer than the line, on the error path only. If asking fails, the cells
 * are taken as units.
 */
function offsetAtCells(line: string, cells: number): number {
  if (/^[\x20-\x7e]*$/.test(line)) return Math.min(cells, line.length); // one cell a unit: nothing to ask
  const starts: number[] = []; // code point boundaries: a prefix never splits a surrogate pair
  for (let i = 0; i <= line.length; i++) {
    const low = line.charCodeAt(i) >= 0xdc00 && line.charCodeAt(i) <= 0xdfff;
    const afterHigh = line.charCodeAt(i - 1) >= 0xd800 && line.charCodeAt(i - 1) <= 0xdbff;
    if (!(low && afterHigh)) starts.push(i);
  }
  let lo = 0;
  let hi = starts.length - 1;
  try {
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (cellsOf(line.slice(0, starts[mid])) <= cells) lo = mid;
      else hi = mid - 1;
    }
  } catch {
    return Math.min(cells, line.length);
  }
  return starts[lo];
}

/** How many cells amaro draws this text in: the column of a syntax error right after it in a comment. */
function cellsOf(text: string): number {
  try {
    stripper!.transformSync(`/*${text.replaceAll('*', ' ')}*/)`, { mode: 'strip-only' });
  } catch (e) {
    const err = e as StripperError;
    if (err.code === 'InvalidSyntax' && err.startLine === 1 && typeof err.startColumn === 'number') return err.startColumn - 4;
    stripper = undefined; // a trap leaves the instance unusable (see loadStripper)
  }
  throw new Error('amaro drew no column for the probe');
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
