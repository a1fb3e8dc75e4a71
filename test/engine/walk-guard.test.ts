// The array-walk guard (prelude): what it lets through at V8's speed, and what legitimate code sees.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = async (source: string, wallTimeoutMs = 3000) => {
  const r = await run(engine, source, { limits: { wallTimeoutMs } as never });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  return r.returnValue;
};

// A typed array has no own length: the guard walked it through a Proxy view, up to ~500 times slower
// (10 indexOf over 6 MB: 18 ms before, past the CPU limit after). Its length cannot change under the guard.
it('walks a typed array at V8\'s speed', async () => {
  expect(await value(`const u = new Uint8Array(6e6); u[6e6 - 1] = 1; let s = 0;
    for (let k = 0; k < 10; k++) s += Array.prototype.indexOf.call(u, 1);
    const bytes = new Uint8Array(6e4).fill(65); for (let k = 0; k < 20; k++) s += String.fromCharCode.apply(null, bytes).length;
    s`)).toBe(10 * (6e6 - 1) + 20 * 6e4);
}, 20_000);

it('still refuses a typed array whose length the script overrides', async () => {
  expect(await value(`const out = [];
    const own = new Uint8Array(3); Object.defineProperty(own, 'length', { get() { return 4e9; } });
    const proto = new Uint8Array(3); Object.setPrototypeOf(proto, { get length() { return 4e9; } });
    for (const u of [own, proto]) { try { Array.prototype.join.call(u); out.push('walked'); } catch (e) { out.push(e.name); } }
    Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'length', { get() { return 4e9; } });
    try { Array.prototype.join.call(new Uint8Array(3)); out.push('walked'); } catch (e) { out.push(e.name); }
    out`)).toEqual(['RangeError', 'RangeError', 'RangeError']);
  await expectHealthy(engine);
});

// The guard read the length descriptor's 'value' through the prototype chain: a 'value' getter on
// Object.prototype made a length getter answering 4e9 look like the number 1 (the worker crashed).
it('reads only a length descriptor\'s own fields', async () => {
  expect(await value(`Object.defineProperty(Object.prototype, 'value', { get() { return 1; }, configurable: true });
    try { Array.prototype.join.call({ get length() { return 4e9; } }); 'walked' } catch (e) { e.name }`)).toBe('RangeError');
  await expectHealthy(engine);
});

// The view's get trap answered a number for a frozen object's non-number length: a Proxy invariant TypeError.
it('walks a frozen array-like whatever its length holds', async () => {
  expect(await value(`[Array.prototype.map.call(Object.freeze({ length: '2', 0: 'a', 1: 'b' }), (x) => x),
    Array.prototype.map.call(Object.freeze({ length: { valueOf() { return 2; } }, 0: 'a', 1: 'b' }), (x) => x + x),
    Array.prototype.join.call(Object.freeze(Object.defineProperty({ 0: 'x' }, 'length', { get: undefined })))]`)).toEqual([['a', 'b'], ['aa', 'bb'], '']);
});

// Callbacks were handed the guard's view, not the object walked.
it('hands callbacks the object walked', async () => {
  expect(await value(`const u = new Uint8Array([1, 2]);
    const g = { get length() { return 2; }, 0: 'a', 1: 'b' };
    const p = new Proxy([1, 2], {});
    const seen = [];
    for (const o of [u, g, p]) {
      Array.prototype.forEach.call(o, (x, i, a) => seen.push(a === o));
      Array.prototype.map.call(o, (x, i, a) => seen.push(a === o));
      Array.prototype.reduce.call(o, (acc, x, i, a) => seen.push(a === o), 0);
    }
    [seen.length, seen.every((x) => x), Array.prototype.sort.call(p) === p]`)).toEqual([18, true, true]);
});
