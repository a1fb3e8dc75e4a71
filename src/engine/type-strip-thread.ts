/**
 * The thread the TypeScript type stripper (amaro: swc in WebAssembly) runs on, for source.ts
 * stripTypes, which waits for its reply for at most a time bound: amaro's parser takes exponential
 * time on some tiny sources, and a thread of its own can be terminated where a call on the caller's
 * thread could not be interrupted (see STRIP_TIME_BOUND_MS in source.ts). Loaded only as a thread
 * entry; it imports nothing of the engine (CompileError is made by the caller from the reply).
 *
 * Protocol: workerData holds a MessagePort and an Int32Array on a SharedArrayBuffer. Each request
 * ({ id, source }) gets one reply ({ id, code } or { id, error }) on the port, after which flag[0]
 * is incremented and notified (the caller blocks in Atomics.wait on it and reads the reply with
 * receiveMessageOnPort). flag[1] becomes 1 (notified) once amaro is loaded (-1, set by the caller, when the thread ended first); flag[2] is the id of
 * the request being stripped (set as it is taken up).
 */
import { createRequire } from 'node:module';
import { workerData, type MessagePort } from 'node:worker_threads';

export interface StripRequest { id: number; source: string }
/** A syntax error's place is V8's (1-based line and UTF-16 column); 0, 0 when there is none. */
export interface StripFailure { message: string; line: number; column: number }
export type StripReply = { id: number; code: string } | { id: number; error: StripFailure };
export interface StripThreadData { port: MessagePort; flag: Int32Array }

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

class Failure extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

/** Types become spaces (positions are kept); a syntax error says where (a Failure). */
function strip(source: string): string {
  stripper ??= loadStripper();
  try {
    return stripper.transformSync(source, { mode: 'strip-only' }).code;
  } catch (e) {
    const err = e as StripperError;
    if (err.code === 'InvalidSyntax' || err.code === 'UnsupportedSyntax') {
      const [line, column] = err.startLine ? v8Position(source, err.startLine, err.startColumn ?? 0) : [0, 0];
      throw new Failure(`TypeScript: ${String(err.message)}`, line, column);
    }
    // A trap may leave the instance unusable (see loadStripper).
    stripper = undefined;
    // Deep nesting runs its stack out: a RangeError, or a trap "memory access out of bounds". A
    // panic is a trap "unreachable": in practice an error it cannot draw, too far along its line.
    if ((e as Error | null)?.name === 'RuntimeError' && (e as Error).message === 'unreachable') throw unplaceable(source);
    throw new Failure('TypeScript: the source nests too deeply to strip its types', 0, 0);
  }
}

/** amaro panics drawing a syntax error past this column (in its cells) of a line: minified TypeScript. */
const AMARO_MAX_COLUMN = 65_535;

/**
 * The panic's error when it names no place: the first line that draws past AMARO_MAX_COLUMN (cells
 * estimated from above: a tab 4, from U+1100, where wide characters start, 2) holds the error.
 */
function unplaceable(source: string): Failure {
  for (let start = 0; ;) {
    AMARO_LINE_END.lastIndex = start;
    const m = AMARO_LINE_END.exec(source);
    const end = m?.index ?? source.length;
    if (end - start > AMARO_MAX_COLUMN / 4 && cellsAtMost(source.slice(start, end)) > AMARO_MAX_COLUMN) {
      const line = (source.slice(0, start).match(V8_LINE_END)?.length ?? 0) + 1;
      return new Failure(`TypeScript: a syntax error past column ${AMARO_MAX_COLUMN} of line ${line}, whose place the type stripper cannot tell (the line is ${end - start} characters long)`, line, 0);
    }
    if (!m) return new Failure('TypeScript: the type stripper failed on this source and gave no reason', 0, 0);
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

const data = workerData as StripThreadData | null;
if (data) {
  const { port, flag } = data;
  // Tests only: a start as slow as a busy machine's (SE_TEST_STRIPPER_START_DELAY_MS).
  const slowStart = Number(process.env.SE_TEST_STRIPPER_START_DELAY_MS ?? 0);
  if (slowStart > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slowStart);
  stripper = loadStripper(); // loaded before the first request is read: a slow start is told apart (flag[1])
  Atomics.store(flag, 1, 1);
  Atomics.notify(flag, 1);
  port.on('message', ({ id, source }: StripRequest) => {
    Atomics.store(flag, 2, id);
    let reply: StripReply;
    try {
      reply = { id, code: strip(source) };
    } catch (e) {
      reply = e instanceof Failure ? { id, error: { message: e.message, line: e.line, column: e.column } }
        : { id, error: { message: `TypeScript: the type stripper failed (${String((e as Error | null)?.message ?? e)})`, line: 0, column: 0 } };
    }
    port.postMessage(reply);
    Atomics.add(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
}
