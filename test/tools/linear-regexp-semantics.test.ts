// A schema `pattern` means what JSON Schema says, an ECMA-262 regular expression (ajv compiles it
// with the "u" flag), although it runs on RE2: RE2's \s is ASCII, its `.` matches \r, U+2028 and
// U+2029, and `[^]`, `\cJ`, `[\b]` are no RE2 syntax. Each pattern here is matched both ways, by
// JavaScript's RegExp and by linearRegExp, over every code point or over many sample strings.
import { describe, expect, it } from "vitest";
import { ECMA_WHITESPACE, linearRegExp } from "../../src/tools/linear-regexp.ts";
import { SchemaValidator } from "../../src/tools/registry.ts";

type Tester = { test(s: string): boolean };
const re2 = (pattern: string) => linearRegExp(pattern, "u") as unknown as Tester;
const js = (pattern: string) => new RegExp(pattern, "u");

/**
 * Every code point of the BMP as a string of its own, lone surrogates included, and every 61st
 * past it (none is white space or a line terminator; every one of them is tested below for \s).
 */
function* codePoints(): Generator<string> {
  for (let c = 0; c <= 0xffff; c++) yield String.fromCodePoint(c);
  for (let c = 0x10000; c <= 0x10ffff; c += 61) yield String.fromCodePoint(c);
  yield "\u{10ffff}";
}

/** Where the two engines disagree on `strings`, at most 5 of them. */
function disagreements(pattern: string, strings: Iterable<string>): string[] {
  const a = re2(pattern);
  const b = js(pattern);
  const out: string[] = [];
  for (const s of strings) {
    if (a.test(s) !== b.test(s)) out.push([...s].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase()}`).join(" "));
    if (out.length === 5) break;
  }
  return out;
}

// Every code point ECMAScript or RE2 counts as white space or a line terminator, and their neighbours.
const SPACES = [...new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x180e, ...Array.from({ length: 0x30 }, (_, i) => 0x2000 + i), 0x205f, 0x2060, 0x3000, 0xfeff, 0xfffe, 0x200b])].map((c) => String.fromCodePoint(c));
const OTHERS = ["a", "Z", "_", "0", "9", "-", "]", "^", "\\", "\b", "\0", "é", "ſ", "K", "α", "Ω", "中", "😀", "\ud83d", "\ude00", "\ud83d\ude00", "\u{10ffff}", "\x7f", "\u00ff", "/", "."];
const ONE = [...SPACES, ...OTHERS];
const SAMPLES = [
  "", ...ONE,
  ...ONE.flatMap((c) => [`a${c}b`, `${c}${c}`, `${c}a`, `a${c}`]),
  "ab", "abc", "a\n", "\na", "a\r\n", "ab\n", "aaa", "aab", "a1", "1a", "foo bar", "foo-bar", "x😀y", "\ud83d\ude00\ud83d\ude00", "\x0a\x0d",
];

describe("schema patterns mean what JavaScript's RegExp with the u flag does", () => {
  it("a tool's schema refuses what /^\\S+$/u and /^.$/u refuse (no-break, ideographic and BOM spaces; \\r, U+2028)", () => {
    const v = new SchemaValidator();
    const schema = { type: "object", properties: { word: { type: "string", pattern: "^\\S+$" }, one: { type: "string", pattern: "^.$" } } };
    for (const word of ["a\u00a0b", "a\u3000b", "a\ufeffb", "a\vb", "a\u2028b"]) expect([word, v.errors(schema, { word })]).toEqual([word, ["/word must match pattern \"^\\S+$\""]]);
    for (const one of ["\r", "\n", "\u2028", "\u2029"]) expect([one, v.errors(schema, { one })]).toEqual([one, ["/one must match pattern \"^.$\""]]);
    expect(v.errors(schema, { word: "a\u200bb" })).toEqual([]); // U+200B is no white space
    expect(v.errors(schema, { one: "😀" })).toEqual([]); // one code point
    expect(v.errors(schema, { one: "\u0085" })).toEqual([]);
  });

  it("ECMAScript's \\s is exactly the set the translation uses", () => {
    const set = new Set<number>();
    for (const [lo, hi] of ECMA_WHITESPACE) for (let c = lo; c <= hi; c++) set.add(c);
    const v8: number[] = [];
    for (let c = 0; c <= 0x10ffff; c++) if (/^\s$/u.test(String.fromCodePoint(c))) v8.push(c);
    expect([...set].sort((a, b) => a - b)).toEqual(v8);
  });

  it("binary Unicode properties RE2 has tables for match the same code points as V8's", () => {
    for (const p of ["^\\p{Emoji}$", "^\\p{Lowercase}$", "^\\p{Alphabetic}$", "^\\p{White_Space}$", "^\\p{Extended_Pictographic}$", "^[\\P{Emoji}a]$"]) {
      expect([p, disagreements(p, codePoints())]).toEqual([p, []]);
    }
  });

  it("\\s, \\S, ., [^], \\w, \\d and classes of them match the same code points", () => {
    for (const p of ["^\\s$", "^\\S$", "^.$", "^[^\\s]$", "^[\\S\\d]$", "^[^]$", "^[^\\S\\n]$", "^\\w$", "^\\W$", "^\\d$"]) {
      expect([p, disagreements(p, codePoints())]).toEqual([p, []]);
    }
  });

  it("a wide range of patterns agree on many strings: anchors, word boundaries, escapes, ranges, properties, astral code points", () => {
    const patterns = [
      "^\\S+$", "^.$", "^.+$", "^(?s:.)$", "^(?-s:.)$", "\\s", "\\S", "[\\s]", "[^\\s]", "[\\S]", "[^\\S]", "[\\S\\d]", "[^\\S\\d]", "[\\s\\w]+$", "^[^\\s\\W]+$",
      "^[^]{1,3}$", "[^]", "[]", "^[]?a$", "a[]", "^\\cJ$", "[\\cA-\\cZ]", "^[\\b]$", "[\\b\\d]", "\\b", "^\\w+\\b", "\\ba", "a\\B",
      "^a$", "a$", "^$", "^\\n$", "\\r", "^\\v$", "\\f", "\\t", "\\0", "^\\x41$", "\\u00e9", "^\\u{1F600}$", "^\\uD83D\\uDE00$", "^[\\uD83D\\uDE00]$", "^\\uD83D$", "^[\\uD800-\\uDFFF]$",
      "^[😀-😂]$", "😀+", "^[^😀]$", "\\p{L}", "^\\p{Lu}+$", "^\\P{L}$", "^[\\p{L}\\d]+$", "^[^\\p{L}\\s]$", "\\p{Letter}", "\\p{gc=Nd}", "\\p{General_Category=Zs}",
      "^\\p{Script=Greek}+$", "\\p{sc=Latin}", "\\p{Any}", "\\P{Any}", "^\\p{ASCII}+$", "\\P{ASCII}", "\\p{Assigned}", "\\P{Assigned}",
      "^(a|b)+$", "^(?:ab)*$", "^(?<name>a)b?$", "a{2}", "^a{1,2}$", "a{2,}", "a*?b", "^[a-z]+$", "[-a]", "[a-]", "[\\-]", "^\\.$", "\\/", "\\^", "\\$", "^[\\]\\[]$", "[\\^]",
    ];
    for (const p of patterns) expect([p, disagreements(p, SAMPLES)]).toEqual([p, []]);
    // V8 tries \B inside a surrogate pair ("a😀b" at index 2), though under "u" the string is its
    // code points and every position of this one is a word boundary: RE2 answers as the standard does.
    expect(disagreements("\\B", SAMPLES.filter((s) => !/[\u{10000}-\u{10FFFF}]/u.test(s)))).toEqual([]);
    expect(re2("\\B").test("a😀b")).toBe(false);
    expect(re2("\\B").test("😀")).toBe(true);
  });

  it("[^], \\cJ, [\\b] and [] are translated, not refused", () => {
    expect(re2("^[^]{1,3}$").test("\n\u2028\r")).toBe(true);
    expect(re2("^\\cJ$").test("\n")).toBe(true);
    expect(re2("^[\\b]$").test("\b")).toBe(true);
    expect(re2("a[]").test("a")).toBe(false);
  });

  it("a pattern RE2 cannot run is refused naming what it uses; one that is no ECMA-262 pattern is refused as such", () => {
    const refusal = (p: string) => {
      try {
        re2(p);
        return "accepted";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(refusal("^(a)\\1$")).toMatch(/uses a backreference \(\\1\).*linear time/);
    expect(refusal("^(?<x>a)\\k<x>$")).toMatch(/uses a named backreference/);
    expect(refusal("a(?=b)")).toMatch(/uses lookahead \(\?=/);
    expect(refusal("a(?!b)")).toMatch(/uses lookahead \(\?!/);
    expect(refusal("(?<=a)b")).toMatch(/uses lookbehind \(\?<=/);
    expect(refusal("(?<!a)b")).toMatch(/uses lookbehind \(\?<!/);
    expect(refusal("(?i:a)")).toMatch(/uses the modifier \(\?i:\.\.\.\): case-insensitive/);
    expect(refusal("\\p{Alphabetic}")).toBe("accepted");
    expect(refusal("\\p{sc=Grek}")).toMatch(/long names/);
    expect(refusal("a{1001}")).toMatch(/repetition count over 1,000/);
    for (const p of ["(?P<n>a)", "\\z", "(?i)a", "\\pL", "a{", "\\q"]) expect([p, refusal(p)]).toEqual([p, expect.stringMatching(/not a valid ECMA-262 regular expression/)]);
    for (const p of ["[^]", "\\cJ", "[\\b]"]) expect(refusal(p)).toBe("accepted");
  });
});
