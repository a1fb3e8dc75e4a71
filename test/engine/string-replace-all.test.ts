// String.prototype.replaceAll of a string by a string ran every match in one loop of V8's, deaf to
// the time limit: a loop of it on a long string held a worker until it was replaced. The prelude
// replaces a long string's matches in a loop of its own, which must give exactly V8's result.
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';
import { expectEndsBesideNeighbour, oneWorker, safeAt1s } from './one-worker.ts';

const { engine, exits } = oneWorker();

describe('replaceAll of a long string by a string', () => {
  it('is stopped by its limits, its worker and a parked neighbour left alone', async () => {
    await expectEndsBesideNeighbour(engine(), exits, 'const s = "x".repeat(2 ** 23); for (let i = 0; i < 100; i++) s.replaceAll("x", "yy"); 1', safeAt1s);
  }, 30_000);

  it("answers what V8's own does", async () => {
    // Long strings (past the length replaced here) and short ones: every $ pattern, an empty search,
    // overlapping and adjacent matches, matches at both ends, none at all, two-byte text and pairs.
    const source = `(() => {
      const long = (unit) => unit.repeat(Math.ceil(1048600 / unit.length));
      const out = [];
      const cases = (texts, searches, replacements) => {
        for (const t of texts) for (const s of searches) for (const r of replacements) {
          const e = t.replaceAll(s, r);
          out.push(JSON.stringify([t.length, s, r, e.length, e.slice(0, 40), e.slice(-40), e.length > 600000 ? e.slice(500000, 500040) : '']));
        }
      };
      // Past the length replaced here: overlapping and adjacent matches, at both ends, none, two-byte text and pairs.
      cases([long('ab-'), 'x' + long('\u00e9\ud83d\ude00b'), long('aaa') + 'a'], ['ab', 'aa', '\ud83d', '\ude00b', 'zz', 'ab-ab-ab-'], ['', 'X', '$&$&', '$$', '$1$<n>$0$', '$']);
      // Every $ pattern and an empty search, on one long text with few matches and short ones.
      cases(['q'.repeat(1048590) + 'ab-ab'], ['ab'], ['[$\`]', "[$']", 'a$&b', '$\\'']);
      cases(['q'.repeat(1048590) + 'ab-ab'], [''], ['X', '$&$&', '$$']);
      cases(['ab-ab', '', 'aaa'], ['ab', 'a', 'aa', ''], ['', 'X', '$&$&', '[$\`]', "[$']", '$$', '$1$<n>$0$', '$']);
      // Not a string by a string: V8's own (a replacer function, a RegExp, a search with Symbol.replace).
      out.push('abab'.replaceAll('a', (m, p) => p), long('ab').replaceAll('b', () => 'c').length, 'abab'.replaceAll(/a/g, 'c'));
      String.prototype[Symbol.replace] = function (s, r) { return 'own:' + this.length; };
      out.push(long('ab').replaceAll('a', 'x'));
      delete String.prototype[Symbol.replace];
      out.push(String.prototype.replaceAll.name, String.prototype.replaceAll.length, String(String.prototype.replaceAll));
      try { String.prototype.replaceAll.call(null, 'a', 'b'); } catch (e) { out.push(e.constructor.name); }
      return out;
    })()`;
    const r = await run(engine(), source, { limits: { memoryBytes: 256 * 1048576, wallTimeoutMs: 25_000 } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual((0, eval)(source));
    expect(exits).toEqual([]);
  }, 40_000);
});
