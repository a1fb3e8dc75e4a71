// V8 keeps a typed array it makes of at most 64 bytes (TA_IN_HEAP_MAX) in the heap, with no buffer and so
// none of the ~200 B of malloc memory each ArrayBuffer holds, until its buffer is asked for: the buffer
// getter, subarray or an Atomics function. Such a one takes nothing from the off-heap budget until then,
// and BUFFER_COST once then; a loop of small typed arrays held nothing and was refused at Safe.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

// At 50 MiB (valueOf's limit) the budget holds 204,800 buffers: 250k of anything charged is refused.
it('250k small typed arrays made and dropped at 50 MiB are no refusal', async () => {
  expect(await valueOf(engine, `let s = 0; for (let i = 0; i < 250000; i++) { s += new Uint8Array(8).length } s`)).toBe(250000 * 8);
});

// What is left of the budget after 1000 of each is exactly the 204,800 buffers of an untouched one.
it('the methods making small typed arrays take nothing either', async () => {
  expect(await valueOf(engine, `const t = new Uint8Array([3, 1, 2]), f = new Float64Array(8), big = new Uint8Array(100);
    class Bytes extends Uint8Array {}
    const makes = [() => t.slice(1), () => t.map((x) => x + 1), () => t.filter((x) => x > 1), () => t.toReversed(), () => t.with(0, 7),
      () => t.toSorted(), () => Uint8Array.from(t), () => Uint8Array.from([1, 2], (x) => x), () => Uint8Array.of(1), () => new Uint16Array(t),
      () => new Int8Array([1, 2]), () => new Bytes(2), () => Reflect.construct(Uint8Array, [3], Bytes), () => new Float64Array(f), () => f.slice(),
      () => new Uint8Array(new Set([1, 2])), () => new Uint8Array({ length: 2 }), () => new BigInt64Array(8), () => big.subarray(0, 64).slice(),
      () => new Uint8Array(), () => new Uint8Array('8'), () => new Uint8Array(8.5)];
    let n = 0;
    for (const make of makes) for (let i = 0; i < 1000; i++) n += make().length;
    let left = 0;
    try { for (;;) { new ArrayBuffer(0); left++; } } catch {}
    [n > 0, left]`)).toEqual([true, 50 * MiB / 256 - 1]);
});

// Each of these gives a new small typed array a buffer of its own: 250k are past the budget.
for (const [what, make] of [
  ['the buffer getter', 'new Uint8Array(8).buffer'],
  ['subarray', 'new Uint8Array(8).subarray(0)'],
  ['Atomics.load', 'Atomics.load(new Int32Array(2), 0)'],
  ['Atomics.add', 'Atomics.add(new Uint8Array(8), 1, 1)'],
  ['toReversed, then its buffer', 'new Uint8Array(8).toReversed().buffer'],
  ['slice, then its buffer', 'ta.slice(1).buffer'],
  ['Uint8Array.of, then its buffer', 'Uint8Array.of(1).buffer'],
]) {
  it(`250k small typed arrays given a buffer by ${what} are refused memory_limit`, async () => {
    const restarts = engine.stats().workerRestarts;
    const r = await run(engine, `const ta = new Uint8Array(4); for (let i = 0; i < 250000; i++) ${make}; 'done'`, { limits: { wallTimeoutMs: 20_000 } as never });
    expect(r.error?.kind, JSON.stringify(r.error ?? r.returnValue)).toBe('memory_limit');
    expect(r.error?.message).toContain('too many buffers for the memory limit');
    expect(engine.stats().workerRestarts).toBe(restarts);
  }, 30_000);
}

it('at 64 bytes a typed array takes nothing, at 65 it takes its charge', async () => {
  const loop = (make: string) => run(engine, `const big = new Uint8Array(80); let s = 0; for (let i = 0; i < 250000; i++) s += ${make}.byteLength; s`, { limits: { wallTimeoutMs: 20_000 } as never });
  for (const make of ['new Uint8Array(64)', 'new Float64Array(8)', 'new BigInt64Array(8)', 'new Uint16Array(new Uint8Array(32))', 'big.slice(0, 64)', 'big.subarray(0, 64).slice()']) {
    const r = await loop(make);
    expect(r.error, make + ': ' + JSON.stringify(r.error)).toBeUndefined();
  }
  for (const make of ['new Uint8Array(65)', 'new Float64Array(9)', 'new BigInt64Array(9)', 'new Uint16Array(new Uint8Array(33))', 'big.slice(0, 65)', 'big.toReversed()']) {
    const r = await loop(make);
    expect(r.error?.kind, make + ': ' + JSON.stringify(r.error ?? r.returnValue)).toBe('memory_limit');
  }
  await expectHealthy(engine);
}, 60_000);

it('one small typed array is charged once, however often its buffer is asked for; views of a buffer given take nothing', async () => {
  expect(await valueOf(engine, `const t = new Uint8Array([1, 2, 3]), ab = new ArrayBuffer(8), v = new Uint8Array(ab, 2);
    let s = 0, same = true;
    for (let i = 0; i < 300000; i++) {
      same = same && t.buffer === t.buffer; s += t.subarray(1)[0] + Atomics.load(t, 2) + v.buffer.byteLength + v.subarray(1).length;
    }
    [s, same, t.buffer.byteLength, new Uint8Array(t.buffer)[2]]`)).toEqual([300000 * (2 + 3 + 8 + 5), true, 3, 3]);
});

// Past the budget, small typed arrays are still made; giving one a buffer is the vouched RangeError.
it('past the budget, a small typed array is made but its buffer is refused as a catchable RangeError', async () => {
  expect(await valueOf(engine, `let made = 0;
    try { for (let i = 0; i < 3e5; i++) { new ArrayBuffer(0); made++; } } catch {}
    const refused = (f) => { try { f(); return 'made'; } catch (e) { return e.name + (e instanceof RangeError ? '' : '?'); } };
    const small = new Uint8Array([1, 2]), kept = new Uint8Array(2);
    [made <= 204800, small[1], refused(() => small.buffer), refused(() => small.subarray(1)), refused(() => Atomics.load(small, 0)),
     refused(() => new Uint8Array(65)), refused(() => kept.slice()), refused(() => kept.slice().buffer)]`))
    .toEqual([true, 2, 'RangeError', 'RangeError', 'RangeError', 'RangeError', 'made', 'RangeError']);
  const r = await run(engine, `for (let i = 0; i < 3e5; i++) new ArrayBuffer(0); new Uint8Array(3).buffer`);
  expect(r.error?.kind).toBe('memory_limit');
  expect(r.error?.message).toContain('too many buffers for the memory limit');
});

it('the buffer getter, subarray and Atomics still answer as V8 does', async () => {
  expect(await valueOf(engine, `const t = new Int32Array([5, 6, 7]);
    const d = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int32Array.prototype), 'buffer');
    const errs = [() => d.get.call({}), () => Int32Array.prototype.subarray.call([]), () => Atomics.load(new Float64Array(1), 0), () => Atomics.load(t, 9)]
      .map((f) => { try { f(); return 'none'; } catch (e) { return e.constructor.name; } });
    const s = t.subarray(1, 2);
    s[0] = 9;
    [d.get.name, d.get.length, typeof d.set, d.enumerable, d.configurable, Int32Array.prototype.subarray.length, Atomics.compareExchange.length,
     Atomics.add(t, 0, 2), Atomics.exchange(t, 0, 1), Atomics.compareExchange(t, 0, 1, 4), Atomics.sub(t, 0, 1), Atomics.or(t, 2, 8),
     Atomics.and(t, 2, 12), Atomics.xor(t, 2, 1), Atomics.store(t, 2, 3), Atomics.notify(t, 0, 1), Array.from(t), s.buffer === t.buffer, errs,
     Reflect.ownKeys(new Uint8Array(2)), Object.isExtensible(new Uint8Array(2)), Object.freeze(new Uint8Array(0)).buffer.byteLength]`))
    .toEqual(['get buffer', 0, 'undefined', false, true, 2, 4, 5, 7, 1, 4, 7, 15, 12, 3, 0, [3, 9, 3], true, ['TypeError', 'TypeError', 'TypeError', 'RangeError'],
      ['0', '1'], true, 0]);
});
