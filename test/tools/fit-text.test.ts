// fitJsonText against JSON.stringify itself: the cut text's JSON fits the budget, is the longest
// that does, and never splits a code point.
import { describe, expect, it } from "vitest";
import { fitJsonText } from "../../src/tools/fit-text.ts";

const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2;
const UNITS = ["a", '"', "\\", "\n", "\u0000", "\u001f", "\u007f", "é", "\u2028", "€", "\ufffd", "😀", "\ud800", "\udc00"];

describe("fitJsonText", () => {
  it("measures every kind of code unit as JSON.stringify writes it", () => {
    for (const u of UNITS) expect([u, fitJsonText(u, 100).bytes]).toEqual([u, jsonBytes(u)]);
  });

  it("cuts at the longest prefix that fits, between code points", () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: 1 + rand(40) }, () => UNITS[rand(UNITS.length)]).join("");
      const budget = rand(jsonBytes(text) + 5);
      const r = fitJsonText(text, budget);
      expect(text.startsWith(r.text)).toBe(true);
      expect(r.bytes).toBe(jsonBytes(r.text));
      expect(r.bytes).toBeLessThanOrEqual(budget);
      expect(r.truncated).toBe(r.text.length < text.length);
      if (r.truncated) {
        // The next code point would not have fitted, and no pair is split.
        const next = text.codePointAt(r.text.length)!;
        const step = next > 0xffff && (text.charCodeAt(r.text.length) & 0xfc00) === 0xd800 ? 2 : 1;
        expect(jsonBytes(text.slice(0, r.text.length + step))).toBeGreaterThan(budget);
        expect(/[\ud800-\udbff]$/.test(r.text) && /^[\udc00-\udfff]/.test(text.slice(r.text.length))).toBe(false);
      }
    }
  });

  it("takes one pass over a large text", () => {
    const text = "\u0000".repeat(600_000);
    const t0 = performance.now();
    const r = fitJsonText(text, 1_000_000);
    expect(r.text.length).toBe(166_666);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
