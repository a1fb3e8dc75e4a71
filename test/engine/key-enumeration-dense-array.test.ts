// The key-listing guard (key-enumeration.test.ts) bounded strings and typed arrays by their length
// but let every Array through, its length telling nothing of its keys (a = []; a[1e9] = 1 has one).
// V8 lists a dense Array's keys as deaf to the time limit: Object.entries(new Array(2e6).fill(0)) at
// Safe held its worker until it was replaced. An Array longer than the bound is now measured by its
// own elements (counted at random indices) and refused when they are more than the bound.
import { expect, it } from 'vitest';
import { expectHealthy, MiB, run, valueOf } from './helpers.ts';
import { oneWorker, safeAt1s } from './one-worker.ts';

const { engine, exits } = oneWorker();
const maxKeys = Math.floor((50 * MiB) / 48), maxEntries = Math.floor((50 * MiB) / 128);

/** Each of the listings the script makes: 'listed', or the error it caught (a RangeError of the bound: its "at most"). */
const tried = (setup: string, calls: string[]) => `${setup}
  const out = [];
  for (const f of [${calls.map((c) => `() => ${c}`).join(', ')}]) {
    try { f(); out.push('listed'); } catch (e) { out.push(e.name + ': ' + (e.message.match(/too long to walk \\(at most \\d+/) || [e.message])[0]); }
  }
  out`;

it('refuses listing the keys of a dense Array longer than the bound, as a RangeError the script catches', async () => {
  const r = await run(engine(), tried('const a = new Array(2e6).fill(0), d = new Array(2e6).fill(0.5), p = new Proxy(a, {});', [
    'Object.entries(a)', 'Object.getOwnPropertyDescriptors(d)', 'Object.keys(a)', 'Object.getOwnPropertyNames(d)', 'Reflect.ownKeys(a)',
    'Object.assign({}, a)', 'Object.assign({}, {}, d)', 'Object.defineProperties({}, a)', 'Object.create(null, d)',
    'Object.keys(p)', 'Object.entries(new Proxy(p, { ownKeys: () => [] }))', 'Reflect.ownKeys(new Proxy(d, { ownKeys: () => [] }))',
  ]), { limits: safeAt1s as never });
  const keys = `RangeError: too long to walk (at most ${maxKeys}`, entries = `RangeError: too long to walk (at most ${maxEntries}`;
  expect(r.returnValue, JSON.stringify(r.error)).toEqual([entries, entries, ...Array(5).fill(keys), entries, entries, keys, entries, keys]);
  expect(exits).toEqual([]); // refused, not stopped by replacing the worker
  await expectHealthy(engine());
}, 30_000);

it('lists an Array at the bound, and refuses one element more', async () => {
  expect(await valueOf(engine(), `const out = [];
    for (const [f, n] of [[Object.keys, ${maxKeys}], [Object.keys, ${maxKeys + 1}], [Object.entries, ${maxEntries}], [Object.entries, ${maxEntries + 1}]]) {
      try { out.push(f(new Array(n).fill(7)).length); } catch (e) { out.push(e.name); }
    }
    out`)).toEqual([maxKeys, 'RangeError', maxEntries, 'RangeError']);
  expect(exits).toEqual([]);
}, 30_000);

it('lists a sparse Array of any length and a long one of few elements, as V8 does', async () => {
  const source = `const huge = []; huge[1e9] = 1; huge[3] = 'x'; huge[2 ** 32 - 2] = 2;
    const holey = new Array(1.5e6); holey[5] = 5; holey[1499999] = 6;
    const spread = []; for (let i = 0; i < 2e5; i++) spread[i * 31] = i;
    [Object.keys(huge), Object.entries(huge), Reflect.ownKeys(new Proxy(huge, {})), Object.assign({}, holey), Object.getOwnPropertyNames(new Array(1.2e6)),
      Object.keys(Object.getOwnPropertyDescriptors(holey)), Object.keys(spread).length, Object.entries(spread).length, Object.keys(new Array(1.2e6)).length,
      Object.keys([1, , 3]), Object.entries(['a'])]`;
  expect(await valueOf(engine(), source)).toEqual(JSON.parse(JSON.stringify((0, eval)(source))));
  expect(exits).toEqual([]);
}, 30_000);

it('answers values, isFrozen and isSealed of a dense Array as V8 does (they list no keys of a fast one)', async () => {
  const source = `const dense = new Array(1.5e6).fill(1);
    [Object.values(dense).length, Object.isFrozen(Object.freeze(dense)), Object.isSealed(dense), Object.isFrozen(Object.preventExtensions(new Array(1.5e6).fill(0)))]`;
  expect(await valueOf(engine(), source)).toEqual(JSON.parse(JSON.stringify((0, eval)(source))));
  expect(exits).toEqual([]);
}, 30_000);
