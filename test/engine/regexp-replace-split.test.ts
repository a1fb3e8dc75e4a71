// V8 replaces every match of a global RegExp by a string, and splits by a RegExp, in one C++ loop deaf
// to the time limit that thrashes near the memory limit: a loop of 'x'.repeat(2**24).replace(/x/g, 'yy')
// held a worker until it was replaced, and .split(/x/) ran it out of memory. The prelude matches a long
// string a match a step, which must give exactly the builtins' results.
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';
import { expectEndsBesideNeighbour, oneWorker, safeAt1s } from './one-worker.ts';

const { engine, exits } = oneWorker();

describe('RegExp replace and split of a long string', () => {
  it('replace with a string is stopped by its limits, its worker and a parked neighbour left alone', async () => {
    await expectEndsBesideNeighbour(engine(), exits, 'const s = "x".repeat(2**24); for (let i = 0; i < 20; i++) s.replace(/x/g, "yy"); 1', safeAt1s);
  }, 30_000);

  it('split is stopped by its limits, its worker and a parked neighbour left alone', async () => {
    await expectEndsBesideNeighbour(engine(), exits, 'const s = "x".repeat(2**24); for (let i = 0; i < 20; i++) s.split(/x/); 1', safeAt1s);
  }, 30_000);

  it("answers what V8's own do, past the length matched here", async () => {
    // Every result as its length and a hash of all its code units (a split's elements each marked,
    // undefined apart), the RegExp's lastIndex after it, and its start and end.
    const source = `(() => {
      const hash = (s) => { let h = 2166136261; for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619); return h >>> 0; };
      const show = (v) => typeof v === 'string' ? [v.length, hash(v), v.slice(0, 24), v.slice(-24)]
        : [v.length, v.reduce((h, e) => Math.imul(h ^ (e === undefined ? 0x10000 : hash(e)), 16777619) >>> 0, 7), [...v.slice(0, 6), ...v.slice(-6)].map((e) => e === undefined ? null : e.slice(0, 24))];
      const unit = 'ab,c x\\ud83d\\ude00y\\ud800\\u00e91-2__\\nAB\\udc00';
      const out = [];
      for (const n of [1048577]) {
        const s = unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
        const replaces = [
          [/x/g, 'yy'], [/,/g, '$&$&'], [/(a)(b)/g, '$2$1$$$0$00$3$10$01$<n>$'], [/(?<n>a)(b)?/g, '[$<n>|$<m>|$<n|$2|$02|$12|$&]'],
          [/^ab|\\n?A?B?.?$/g, "<$\`|$'>"], [/(?:)/gu, '-'], [/\\b/g, '|'], [/(?<=a)b/g, 'B'], [/^/gm, '>'],
          [/ab/gy, 'Q'], [/[\\ud800-\\udfff]/g, '?'], [/(a)|(z)/g, '$2$1'], [/a/g, '$<x>$1'], [/\\u00e9/gi, '$0$1'],
          [/q/g, 'nothing'], [/x/, 'once'], [/[\\p{L}--[a-z]]/gv, '_'],
        ];
        for (const [re, t] of replaces) { const r = s.replace(re, t); out.push(show(r), re.lastIndex); }
        const r2 = /b/g; r2.lastIndex = 7; out.push(show(s.replaceAll(r2, 'B$&')), r2.lastIndex);
        const splits = [
          [/,/], [/(,)/], [/(,)|(-)/], [/(?:)/u], [/\\b/], [/ ?/], [/,/, 5], [/,/, 0], [/(,)/, 2], [/(?<=a)/],
          [/$/m], [/,/y], [/[\\ud800-\\udfff]/], [/[\\p{L}--[a-z]]/v], [/q/], [/,/, 2 ** 32 + 3], [/(?:)/, 7], [/x*/, 9],
        ];
        for (const [re, lim] of splits) { const r = s.split(re, lim); out.push(show(r), re.lastIndex, Array.isArray(r), Object.getPrototypeOf(r) === Array.prototype); }
      }
      for (const k of [Symbol.replace, Symbol.split]) out.push(RegExp.prototype[k].name, RegExp.prototype[k].length, String(RegExp.prototype[k]));
      // A RegExp whose exec is its own is the builtins' (they call that exec) at any length.
      const mine = /x/g; let calls = 0; mine.exec = function (t) { calls++; return RegExp.prototype.exec.call(this, t); };
      out.push(show('ax'.repeat(2 ** 20).replace(mine, 'y')), calls);
      try { RegExp.prototype[Symbol.replace].call({}, 'x'.repeat(2 ** 21), 'y'); out.push('no throw'); } catch (e) { out.push(e.constructor.name); }
      return JSON.stringify(out); // as JSON: a slice may hold a lone surrogate, which a result carries as U+FFFD
    })()`;
    const r = await run(engine(), source, { limits: { memoryBytes: 300 * 1048576, wallTimeoutMs: 60_000, maxReturnBytes: 1048576 } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(JSON.parse(r.returnValue as string)).toEqual(JSON.parse((0, eval)(source)));
    expect(exits).toEqual([]);
  }, 120_000);
});
