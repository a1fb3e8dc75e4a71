// RegExp.escape ran deaf to the time limit over a long string, making its result (up to 4x the text)
// at once: near the memory limit it thrashed, and a loop of it held a worker until it was replaced. The
// prelude escapes a long string in pieces, which must give exactly the builtin's result.
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';
import { expectEndsBesideNeighbour, oneWorker, safeAt1s } from './one-worker.ts';

const { engine, exits } = oneWorker();

describe('RegExp.escape of a long string', () => {
  it('is stopped by its limits, its worker and a parked neighbour left alone', async () => {
    await expectEndsBesideNeighbour(engine(), exits, 'const s = "a.b*".repeat(2**23); for (let i = 0; i < 100; i++) RegExp.escape(s); 1', safeAt1s);
  }, 30_000);

  it("answers what V8's own does, at and past the length escaped in pieces, pieces cut anywhere", async () => {
    // Strings around 16 pieces of 65,536 (1,048,576 code units): a leading digit or letter (escaped
    // alone as \\x..), punctuators, whitespace, line terminators, surrogate pairs straddling each cut,
    // lone surrogates, letters and digits where a piece begins.
    const source = `(() => {
      const unit = 'a.b*1 \\u2028-\\ud83d\\ude00,x\\ud800/_Z9';
      const make = (n, lead) => (lead + unit.repeat(Math.ceil(n / unit.length))).slice(0, n);
      const out = [];
      for (const n of [1048576, 1048577, 2 * 1048576 + 65537]) {
        for (const lead of ['1', 'a', '_', '\\ud83d\\ude00', '\\udc00']) {
          for (const shift of [0, 1]) {
            const s = make(n, lead + 'x'.repeat(shift));
            const e = RegExp.escape(s);
            // Slices as JSON (a slice may end inside a pair, which a result would carry as U+FFFD).
            out.push(JSON.stringify([n, e.length, e.slice(0, 24), e.slice(65530, 65560), e.slice(-24), s.length]));
          }
        }
      }
      // Every piece boundary made to fall inside a pair: 65,535 units, then a pair.
      const pairs = ('y'.repeat(65535) + '\\ud83d\\ude00').repeat(20);
      out.push(RegExp.escape(pairs).length, JSON.stringify(RegExp.escape(pairs).slice(65530, 65560)));
      out.push(RegExp.escape.name, RegExp.escape.length, typeof RegExp.escape(''), String(RegExp.escape));
      try { RegExp.escape(1); out.push('no throw'); } catch (e) { out.push(e.constructor.name); }
      return out;
    })()`;
    const r = await run(engine(), source, { limits: { memoryBytes: 200 * 1048576, wallTimeoutMs: 20_000 } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual(JSON.parse(JSON.stringify((0, eval)(source))));
    expect(exits).toEqual([]);
  }, 30_000);
});
