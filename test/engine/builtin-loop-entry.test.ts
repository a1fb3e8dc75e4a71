// V8 services the time limit at a script function's entry, and in a loop calling none only once its
// interrupt budget is spent, thousands of iterations on. A loop calling only a builtin that takes
// milliseconds a call and checks nothing itself (escape, the URI functions, Date.parse of a long string,
// toUpperCase of millions of characters, new Date of a long string) held its worker until it was replaced.
// The prelude calls each through a function of its own (Date: a Proxy's traps), whose entry the time
// limit reaches; results are V8's.
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';
import { expectEndsBesideNeighbour, oneWorker, safeAt1s } from './one-worker.ts';

const { engine, exits } = oneWorker();

const loop = (setup: string, call: string) => `${setup}; for (let i = 0; i < 1e9; i++) ${call}; 1`;
const LOOPS: [string, string][] = [
  ['escape', loop("const t = 'x '.repeat(2 ** 19)", 'escape(t)')],
  ['unescape', loop("const t = '%20'.repeat(2 ** 18)", 'unescape(t)')],
  ['encodeURI', loop("const t = '\\u00ff'.repeat(2 ** 19)", 'encodeURI(t)')],
  ['encodeURIComponent', loop("const t = '\\u00ff'.repeat(2 ** 19)", 'encodeURIComponent(t)')],
  ['decodeURI', loop("const t = '%C3%BF'.repeat(2 ** 17)", 'decodeURI(t)')],
  ['decodeURIComponent', loop("const t = '%C3%BF'.repeat(2 ** 17)", 'decodeURIComponent(t)')],
  ['Date.parse', loop("const t = '2020-01-01' + ' '.repeat(2 ** 20)", 'Date.parse(t)')],
  ['new Date', loop("const t = '2020-01-01' + ' '.repeat(2 ** 20)", 'new Date(t)')],
  ['toUpperCase', loop("const t = 'a'.repeat(2 ** 23)", 't.toUpperCase()')],
];

describe('a loop calling only a slow builtin', () => {
  for (const [name, source] of LOOPS) {
    it(`${name}: is stopped by its limits, its worker and a parked neighbour left alone`, async () => {
      await expectEndsBesideNeighbour(engine(), exits, source, safeAt1s);
    }, 30_000);
  }

  it("answers what V8's own do", async () => {
    const source = `(() => {
      const out = [];
      const tryIt = (f) => { try { return f(); } catch (e) { return e.constructor.name + ': ' + e.message; } };
      const texts = ['', 'a b&c/?#\\u00e9\\u00df\\u0130\\u03a3', '\\ud800x\\udc00', '%E0%A4%A', '%C3%BF%20+', '%u00ff%zz', 'Jan 1 2020 10:00 GMT+0100', '2020-01-01T00:00:00Z'];
      for (const t of texts) {
        out.push(tryIt(() => escape(t)), tryIt(() => unescape(t)), tryIt(() => encodeURI(t)), tryIt(() => encodeURIComponent(t)),
          tryIt(() => decodeURI(t)), tryIt(() => decodeURIComponent(t)), tryIt(() => Date.parse(t)), t.toUpperCase(), t.toLowerCase());
      }
      out.push(escape(), escape(12), encodeURI(undefined), Date.parse(), Date.parse({ toString: () => '2021-02-03' }), tryIt(() => escape(Symbol())));
      out.push(tryIt(() => String.prototype.toUpperCase.call(null)), String.prototype.toLowerCase.call(42), String.prototype.toUpperCase.call(true));
      const parse = Date.parse, up = ''.toUpperCase;
      out.push(parse('2020-01-01'), tryIt(() => up()), up.call('x'));
      class Later extends Date {}
      const later = new Later(86400000);
      out.push(Date.name, Date.length, String(Date), Date.prototype.constructor === Date, later instanceof Date, later instanceof Later,
        later.getTime(), Object.getPrototypeOf(later) === Later.prototype, typeof Date(), typeof Date(1, 2), new Date(2020, 1, 3).getTime(),
        new Date('2020-01-01' + ' '.repeat(100)).getTime(), Date.UTC(2020, 0), Reflect.construct(Date, [7]).getTime(), tryIt(() => new Date(Symbol())),
        Object.prototype.toString.call(new Date(0)), typeof Date.now(), Object.getOwnPropertyNames(Date).sort().join());
      for (const f of [escape, unescape, encodeURI, encodeURIComponent, decodeURI, decodeURIComponent, Date.parse, ''.toUpperCase, ''.toLowerCase]) {
        out.push(f.name, f.length, String(f), Object.prototype.hasOwnProperty.call(f, 'prototype'), tryIt(() => new f('x')));
      }
      return JSON.stringify(out);
    })()`;
    const r = await run(engine(), source);
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(JSON.parse(r.returnValue as string)).toEqual(JSON.parse((0, eval)(source)));
    expect(exits).toEqual([]);
  }, 30_000);
});
