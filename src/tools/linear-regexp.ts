// The regular-expression engine behind JSON Schema `pattern` and `patternProperties` (ajv's
// `code.regExp`). Tool arguments come from untrusted scripts and are validated on the server's
// event loop: with V8's backtracking engine a pattern such as `^(a+)+$` and a 40-character argument
// stall the whole server for minutes. RE2 (re2js) matches in time linear in the input, and refuses
// at compile time what it cannot do so (backreferences, lookaround), which makes such a schema
// invalid when the tool is registered rather than dangerous when it is called.
//
// A pattern still means what JSON Schema says, an ECMA-262 regular expression with the "u" flag
// (ajv's default, unicodeRegExp): it must be a valid one (V8 parses it, without running it), and it
// is translated into RE2 syntax construct by construct where the two differ. RE2's `\s` is
// [\t\n\f\r ] where ECMAScript's is WhiteSpace and LineTerminator (\v, U+00A0, U+FEFF, U+3000, ...);
// RE2's `.` matches \r, U+2028 and U+2029; `[^]`, `[]`, `[\b]`, `\cJ` and `\uD83D\uDE00` (one code
// point under "u") are not RE2 syntax or mean something else there. So every character class,
// escape and `.` becomes an explicit RE2 class of code points, and groups become non-capturing.
// What is the same in both is kept: `^` and `$` (without the m flag: the start and end of the text
// only, not before a final "\n"), `\b`/`\B`, `\d` and `\w` (ASCII), quantifiers, alternation, and
// `\p{...}` where RE2 knows the property (General_Category, Script=<long name>), whose tables match
// V8's. Both match by code point, a lone surrogate being one.
import { RE2JS } from "re2js";
import type { CodeOptions } from "ajv";
import { chargePatternWork } from "./validation-budget.ts";

type RegExpEngine = NonNullable<CodeOptions["regExp"]>;

/** A pattern uses what RE2 cannot run or this translation does not cover: `reason` names it. */
class Unsupported extends Error {}

/** Code point ranges, inclusive: [lo, hi] pairs. */
type Ranges = [number, number][];
const MAX_CP = 0x10ffff;

/** ECMAScript's \s: WhiteSpace (TAB, VT, FF, ZWNBSP and every Zs) and LineTerminator (LF, CR, LS, PS). */
export const ECMA_WHITESPACE: Ranges = [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];
/** What `.` does not match without the s flag: LineTerminator. */
const LINE_TERMINATORS: Ranges = [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]];
const DIGITS: Ranges = [[0x30, 0x39]];
const WORD: Ranges = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const ANY: Ranges = [[0, MAX_CP]];

function normalize(r: Ranges): Ranges {
  const sorted = [...r].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(r: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(r)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

const hex = (cp: number) => `\\x{${cp.toString(16).toUpperCase()}}`;
const rangeText = (r: Ranges) => r.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`)).join("");

/** An RE2 class for a set of code points and RE2 property escapes (`\p{L}`), negated or not. */
function re2Class(ranges: Ranges, props: string[], negated: boolean): string {
  const r = normalize(ranges);
  if (props.length === 0) {
    // An empty class is no RE2 syntax; an empty set matches nothing, its complement anything.
    if (r.length === 0) return negated ? `[${rangeText(ANY)}]` : `[^${rangeText(ANY)}]`;
    if (!negated && r.length === 1 && r[0][0] === r[0][1]) return literal(r[0][0]);
  }
  return `[${negated ? "^" : ""}${rangeText(r)}${props.join("")}]`;
}

/** One code point as RE2 text: ASCII letters and digits as they are, anything else escaped. */
const literal = (cp: number) => (/^[A-Za-z0-9_]$/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : hex(cp));

// General_Category values by their long names and aliases (PropertyValueAliases.txt, which the
// standard fixes): RE2 knows the short ones.
const GENERAL_CATEGORY: Record<string, string> = {
  Other: "C", Control: "Cc", cntrl: "Cc", Format: "Cf", Unassigned: "Cn", Private_Use: "Co", Surrogate: "Cs",
  Letter: "L", Cased_Letter: "LC", Lowercase_Letter: "Ll", Modifier_Letter: "Lm", Other_Letter: "Lo", Titlecase_Letter: "Lt", Uppercase_Letter: "Lu",
  Mark: "M", Combining_Mark: "M", Spacing_Mark: "Mc", Enclosing_Mark: "Me", Nonspacing_Mark: "Mn",
  Number: "N", Decimal_Number: "Nd", digit: "Nd", Letter_Number: "Nl", Other_Number: "No",
  Punctuation: "P", punct: "P", Connector_Punctuation: "Pc", Dash_Punctuation: "Pd", Close_Punctuation: "Pe", Final_Punctuation: "Pf",
  Initial_Punctuation: "Pi", Other_Punctuation: "Po", Open_Punctuation: "Ps",
  Symbol: "S", Currency_Symbol: "Sc", Modifier_Symbol: "Sk", Math_Symbol: "Sm", Other_Symbol: "So",
  Separator: "Z", Line_Separator: "Zl", Paragraph_Separator: "Zp", Space_Separator: "Zs",
};
const GC_SHORT = new Set(Object.values(GENERAL_CATEGORY));

const re2Knows = (name: string) => {
  try {
    RE2JS.compile(`\\p{${name}}`);
    return true;
  } catch {
    return false;
  }
};

/**
 * `\p{body}` (or `\P`, negated) as ranges or an RE2 property escape. The body is valid ECMAScript
 * (V8 parsed the pattern): a General_Category value, `name=value`, or a binary property.
 */
function property(body: string, negated: boolean): { ranges?: Ranges; prop?: string } {
  const eq = body.indexOf("=");
  const name = eq < 0 ? undefined : body.slice(0, eq);
  const value = eq < 0 ? body : body.slice(eq + 1);
  const P = negated ? "P" : "p";
  if (name === undefined || name === "General_Category" || name === "gc") {
    const short = GC_SHORT.has(value) ? value : GENERAL_CATEGORY[value];
    if (short !== undefined) return { prop: `\\${P}{${short}}` };
  }
  if ((name === "Script" || name === "sc") && re2Knows(value) && !GC_SHORT.has(value)) return { prop: `\\${P}{${value}}` };
  if (name === undefined) {
    // A binary property (Emoji, Alphabetic, White_Space, ...): ECMA-262 and RE2 read it by the same
    // Unicode name (V8 parsed the pattern already, so a lone name here is no script's).
    if (re2Knows(value) && !GC_SHORT.has(value)) return { prop: `\\${P}{${value}}` };
    if (value === "Any") return { ranges: negated ? [] : ANY };
    if (value === "ASCII") return { ranges: negated ? complement([[0, 0x7f]]) : [[0, 0x7f]] };
    if (value === "Assigned") return { prop: `\\${negated ? "p" : "P"}{Cn}` };
  }
  const why = name === "Script" || name === "sc" ? `RE2 knows scripts by their long names only (Script=Greek, not Script=Grek)` : "RE2 knows General_Category values, Script=<long name>, binary properties it has tables for, Any, ASCII and Assigned";
  throw new Unsupported(`the Unicode property \\${P}{${body}}: ${why}`);
}

/**
 * ECMAScript `pattern` (valid with the "u" flag) in RE2 syntax with the same meaning, or an
 * Unsupported naming what it cannot translate.
 */
export function toRe2Syntax(pattern: string): string {
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!); // "u": the pattern is read by code point
  const ch = (i: number) => (i < cps.length ? String.fromCodePoint(cps[i]) : "");
  let i = 0;
  let out = "";
  const dotAll: boolean[] = [false]; // per open group: the s modifier

  const hexDigits = (from: number, n: number) => parseInt(cps.slice(from, from + n).map((c) => String.fromCodePoint(c)).join(""), 16);
  const isHex = (k: number) => /^[0-9A-Fa-f]$/.test(ch(k));

  /** A \u escape at cps[i] (after the backslash, at the "u"); returns [code point, next index]. */
  const unicodeEscape = (at: number): [number, number] => {
    if (ch(at + 1) === "{") {
      const close = cps.indexOf(0x7d, at + 2);
      return [hexDigits(at + 2, close - at - 2), close + 1];
    }
    const cp = hexDigits(at + 1, 4);
    // "u": an escaped lead surrogate followed by an escaped trail surrogate is one code point.
    if (cp >= 0xd800 && cp <= 0xdbff && ch(at + 5) === "\\" && ch(at + 6) === "u" && [7, 8, 9, 10].every((k) => isHex(at + k))) {
      const trail = hexDigits(at + 7, 4);
      if (trail >= 0xdc00 && trail <= 0xdfff) return [0x10000 + ((cp - 0xd800) << 10) + (trail - 0xdc00), at + 11];
    }
    return [cp, at + 5];
  };

  /**
   * The escape after the backslash at cps[i - 1]: a set of code points, one code point, an RE2
   * property escape, or an assertion (outside classes). Advances i.
   */
  const escape = (inClass: boolean): { cp?: number; ranges?: Ranges; prop?: string; assertion?: string } => {
    const c = ch(i);
    switch (c) {
      case "d": i++; return { ranges: DIGITS };
      case "D": i++; return { ranges: complement(DIGITS) };
      case "w": i++; return { ranges: WORD };
      case "W": i++; return { ranges: complement(WORD) };
      case "s": i++; return { ranges: ECMA_WHITESPACE };
      case "S": i++; return { ranges: complement(ECMA_WHITESPACE) };
      case "p":
      case "P": {
        const close = cps.indexOf(0x7d, i + 2);
        const body = String.fromCodePoint(...cps.slice(i + 2, close));
        i = close + 1;
        return property(body, c === "P");
      }
      case "b": i++; return inClass ? { cp: 0x08 } : { assertion: "\\b" };
      case "B": i++; return { assertion: "\\B" };
      case "f": i++; return { cp: 0x0c };
      case "n": i++; return { cp: 0x0a };
      case "r": i++; return { cp: 0x0d };
      case "t": i++; return { cp: 0x09 };
      case "v": i++; return { cp: 0x0b };
      case "c": i += 2; return { cp: cps[i - 1] % 32 };
      case "0": i++; return { cp: 0 };
      case "x": i += 3; return { cp: hexDigits(i - 2, 2) };
      case "u": {
        const [cp, next] = unicodeEscape(i);
        i = next;
        return { cp };
      }
      case "k": throw new Unsupported(`a named backreference (\\k<...>): RE2 has no backreferences`);
      default:
        if (/^[1-9]$/.test(c)) throw new Unsupported(`a backreference (\\${c}): RE2 has no backreferences`);
        i++;
        return { cp: cps[i - 1] }; // an identity escape: \. \/ \- ...
    }
  };

  /** A character class from the "[" at cps[i]. */
  const characterClass = (): string => {
    i++;
    const negated = ch(i) === "^";
    if (negated) i++;
    const ranges: Ranges = [];
    const props: string[] = [];
    const atom = (): { cp?: number; ranges?: Ranges; prop?: string } => {
      if (ch(i) === "\\") {
        i++;
        return escape(true);
      }
      return { cp: cps[i++] };
    };
    while (i < cps.length && ch(i) !== "]") {
      const a = atom();
      if (a.cp !== undefined && ch(i) === "-" && i + 1 < cps.length && ch(i + 1) !== "]") {
        i++;
        const b = atom(); // "u": both ends are single characters (V8 checked)
        ranges.push([a.cp, b.cp!]);
      } else if (a.cp !== undefined) ranges.push([a.cp, a.cp]);
      else if (a.ranges) ranges.push(...a.ranges);
      else if (a.prop) props.push(a.prop);
    }
    i++; // "]"
    return re2Class(ranges, props, negated);
  };

  while (i < cps.length) {
    const c = ch(i);
    switch (c) {
      case "\\": {
        i++;
        const e = escape(false);
        out += e.assertion ?? (e.cp !== undefined ? literal(e.cp) : e.prop ?? re2Class(e.ranges!, [], false));
        break;
      }
      case "[":
        out += characterClass();
        break;
      case ".":
        i++;
        out += re2Class(dotAll[dotAll.length - 1] ? ANY : complement(LINE_TERMINATORS), [], false);
        break;
      case "(": {
        i++;
        let s = dotAll[dotAll.length - 1];
        if (ch(i) === "?") {
          const next = ch(i + 1);
          if (next === "=" || next === "!") throw new Unsupported(`lookahead (?${next}...): RE2 has no lookaround`);
          if (next === "<" && (ch(i + 2) === "=" || ch(i + 2) === "!")) throw new Unsupported(`lookbehind (?<${ch(i + 2)}...): RE2 has no lookaround`);
          if (next === "<") {
            i = cps.indexOf(0x3e, i) + 1; // a named group: its name is of no use to a test
          } else {
            // (?:...) or a modifier group, (?ims-ims:...)
            const colon = cps.indexOf(0x3a, i);
            const flags = String.fromCodePoint(...cps.slice(i + 1, colon));
            const [on, off = ""] = flags.split("-");
            for (const f of on) if (f === "i" || f === "m") throw new Unsupported(`the modifier (?${flags}:...): ${f === "i" ? "case-insensitive" : "multiline"} matching is not translated to RE2`);
            if (on.includes("s")) s = true;
            if (off.includes("s")) s = false;
            i = colon + 1;
          }
        }
        dotAll.push(s);
        out += "(?:";
        break;
      }
      case ")":
        i++;
        dotAll.pop();
        out += ")";
        break;
      case "^":
      case "$":
      case "|":
      case "*":
      case "+":
      case "?":
        i++;
        out += c;
        break;
      case "{": {
        // A quantifier ("u": a lone brace is a syntax error), copied as it is.
        const close = cps.indexOf(0x7d, i);
        out += String.fromCodePoint(...cps.slice(i, close + 1));
        i = close + 1;
        break;
      }
      default:
        i++;
        out += literal(cps[i - 1]);
    }
  }
  return out;
}

/** RE2's refusal, in words. */
function re2Reason(message: string): string {
  if (/invalid repeat count/.test(message)) return `a repetition count over 1,000, which RE2 refuses (${message})`;
  if (/expression too large/.test(message)) return `the pattern is too large for RE2 (${message})`;
  return `RE2 refuses it (${message})`;
}

// What one test costs. RE2 is linear in the input, but re2js's constant is the program: its lazy
// DFA builds a state per new set of threads (work in the program's size), and when its 8 MiB cache
// keeps filling it gives up for the NFA, which steps every live thread at every character. An
// unanchored `\S{1000}\S{1000}$` (2,003 instructions) against 256 KiB took 19 s in one call, which
// no clock can interrupt. So before a test its cost is bounded from the program and the string's
// length, and a test whose bound passes PATTERN_TEST_SHARE budgets (validation-budget.ts) is not run:
// the value "could not be checked" (ValidationTooCostly), deterministically. Measured worst cases:
// ~25 ns per character once the DFA's states are cached, ~170 ns per instruction per state built or
// per NFA step (`[ab]*a[ab]{20}$` on random a/b); the constants below round these up.
const NS_PER_CHAR = 30;
const NS_PER_INST = 200;
/** re2js's DFA: its cache (maxMem) and what it counts per state (DFA.STATE_OVERHEAD, ELEMENT_SIZE, TABLE_OVERHEAD). */
const DFA_MEMORY = 8 << 20;
const dfaStateBytes = (insts: number, classes: number) => 150 + 8 * insts + 48 + 8 * classes;
/** re2js's empty-width flag for the start of the text (Utils.EMPTY_BEGIN_TEXT). */
const EMPTY_BEGIN_TEXT = 4;

// re2js internals this relies on (2.x): a test runs executeEngine with no captures.
type Inst = { op: number; out: number; arg: number };
type Re2Internals = {
  prog: { inst: Inst[]; start: number; numInst(): number };
  cond: number;
  onepass: unknown;
  prefilter: unknown;
  dfa: { numClasses: number };
};
const RUNE_OPS = new Set([8, 9, 10, 11]); // Inst.RUNE, RUNE1, RUNE_ANY, RUNE_ANY_NOT_NL
const [ALT, ALT_MATCH, MATCH, FAIL] = [1, 2, 6, 5];

/**
 * The most characters a match anchored at the start of the text can consume: the longest path of
 * rune instructions from the start, Infinity when the program loops.
 */
function longestSpan(prog: Re2Internals["prog"]): number {
  const n = prog.inst.length;
  const span = new Float64Array(n).fill(-1); // -1: not done; -2: on the path
  const stack: [number, number][] = [[prog.start, 0]]; // [pc, next successor to visit]
  span[prog.start] = -2;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inst = prog.inst[top[0]];
    const succ = inst.op === MATCH || inst.op === FAIL ? [] : inst.op === ALT || inst.op === ALT_MATCH ? [inst.out, inst.arg] : [inst.out];
    if (top[1] < succ.length) {
      const next = succ[top[1]++];
      if (span[next] === -2) return Infinity;
      if (span[next] === -1) {
        span[next] = -2;
        stack.push([next, 0]);
      }
      continue;
    }
    stack.pop();
    const own = RUNE_OPS.has(inst.op) ? 1 : 0;
    span[top[0]] = own + Math.max(0, ...succ.map((s) => span[s]));
  }
  return span[prog.start];
}

/** For a compiled pattern, a bound on one test's event-loop time (ns) by the string's length. */
function costModel(re2: Re2Internals): { insts: number; cost: (length: number) => number } {
  const insts = re2.prog.numInst();
  const runes = re2.prog.inst.filter((i) => RUNE_OPS.has(i.op)).length;
  const classes = re2.dfa.numClasses + 1; // the end of the text too
  // A DFA state is a set of threads (each at the instruction after a rune, or the start) with up to
  // 3 flags: at most 8·2^(runes+1) states. When all of them fit in the cache it is never reset, and
  // builds at most one state per (state, class); otherwise at most one per character, or the NFA.
  const states = runes < 24 ? 8 * 2 ** (runes + 1) : Infinity;
  const builds = states * dfaStateBytes(insts, classes) <= DFA_MEMORY ? states * classes : Infinity;
  // Anchored at the start, threads die past the longest match (the DFA then stays in one state).
  const span = (re2.cond & EMPTY_BEGIN_TEXT) !== 0 ? longestSpan(re2.prog) + 2 : Infinity;
  return { insts, cost: (length) => length * NS_PER_CHAR + Math.min(length + 1, span, builds) * insts * NS_PER_INST };
}

/** A compiled pattern as ajv uses it: test() within the pattern budget, or ValidationTooCostly. */
export class LinearPattern {
  readonly #re: RE2JS;
  readonly #pattern: string;
  readonly #insts: number;
  /** Bound on a test's time in ns, by the string's length in UTF-16 code units (code points are fewer). */
  readonly cost: (length: number) => number;

  constructor(pattern: string, re: RE2JS) {
    this.#re = re;
    this.#pattern = pattern;
    const re2 = (re as unknown as { re2Input: Re2Internals }).re2Input;
    // A test needs no captures: the lazy DFA is the fastest engine for it. The one-pass matcher
    // re2js prefers for anchored patterns is ~4 times slower (`^\S+$`: 112 ms against 1 MiB, 20 ms
    // by the DFA), and the prefilter's literal search costs its own pass per literal.
    re2.onepass = null;
    re2.prefilter = null;
    const model = costModel(re2);
    this.#insts = model.insts;
    this.cost = model.cost;
  }

  test(s: string): boolean {
    chargePatternWork(this.cost(s.length), () => `a string of ${s.length} characters against the pattern ${JSON.stringify(this.#pattern.length > 60 ? this.#pattern.slice(0, 60) + "..." : this.#pattern)} (${this.#insts} RE2 instructions)`);
    return this.#re.test(s);
  }

  /** ajv keys the patterns of a schema by this (usePattern): it must tell them apart. */
  toString(): string {
    return this.#re.toString();
  }
}

/**
 * Compiles `pattern`, an ECMA-262 regular expression with ajv's "u" flag, with RE2: translated
 * (toRe2Syntax) so that it matches what JavaScript's RegExp would, in linear time, and tested
 * within a bound on that time (LinearPattern).
 */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string) => {
    try {
      new RegExp(pattern, "u"); // parsed only: V8 compiles a RegExp at its first use
    } catch (err) {
      throw new Error(`pattern ${JSON.stringify(pattern)} is not a valid ECMA-262 regular expression (with the "u" flag): ${(err as Error).message}`);
    }
    let re2: string;
    try {
      re2 = toRe2Syntax(pattern);
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      throw new Error(`pattern ${JSON.stringify(pattern)} is not supported: it uses ${err.message}; schema patterns run on RE2, in linear time`);
    }
    let re: RE2JS;
    try {
      re = RE2JS.compile(re2);
    } catch (err) {
      throw new Error(`pattern ${JSON.stringify(pattern)} is not supported: ${re2Reason((err as Error).message)}; schema patterns run on RE2, in linear time`);
    }
    return new LinearPattern(pattern, re);
  },
  // ajv's standalone code would name this; the server compiles schemas in memory only.
  { code: 'require("re2js").RE2JS.compile' },
);
