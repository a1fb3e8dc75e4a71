// A resizable ArrayBuffer's reserved memory is outside the heap, and isolated-vm's allocator does not count
// it: the prelude charged it to a budget of its own, the memory limit's size, so that a script could hold
// a reservation of nearly its limit and, beside it, as much again in the heap or in other buffers. The
// reservation (memory the script itself can fill) now counts with the heap and the allocator against the one
// limit; the ICU memory the prelude charges draws on the budget alone (intl-memory.test.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const limits = { memoryBytes: 50 * MiB, wallTimeoutMs: 20_000 } as never;
const reserve = 'const r = new ArrayBuffer(0, { maxByteLength: 49 * 2 ** 20 }); r.resize(49 * 2 ** 20); new Uint8Array(r).fill(7);';

for (const [what, second] of [
  ['a typed array', 'const n = new Uint8Array(46 * 2 ** 20); n.fill(3); [r.byteLength, n.length]'],
  ['an ArrayBuffer', 'const n = new ArrayBuffer(46 * 2 ** 20); [r.byteLength, n.byteLength]'],
  ['a heap array of doubles', 'const n = new Array(4e6).fill(1.5); [r.byteLength, n.length]'],
  ['a second resizable buffer', 'const n = new ArrayBuffer(0, { maxByteLength: 46 * 2 ** 20 }); n.resize(46 * 2 ** 20); [r.byteLength, n.byteLength]'],
]) {
  it(`a 49 MiB resizable buffer and ${what} of 32-46 MiB at 50 MiB: a memory_limit`, async () => {
    const r = await run(engine, reserve + second, { limits });
    expect(r.error?.kind, JSON.stringify(r.error ?? r.returnValue)).toBe('memory_limit');
    await expectHealthy(engine);
  }, 30_000);
}

// Paid for with the heap, 1,000 throwaway formatters (32 MB of charges held for the run) refused a 28 MB
// typed array at 50 MiB; the ICU memory draws on the off-heap budget alone, as it did before.
it('Intl charges take no room from the heap: 1,000 dropped DateTimeFormats, then a 28 MB typed array', async () => {
  expect(await valueOf(engine, `let n = 0;
    const s = 'ab'.repeat(1.5e6); for (let i = 0; i < 3; i++) n += s.toLocaleUpperCase('tr').length; // 30 MB each, handed back
    for (let i = 0; i < 1000; i++) n += new Intl.DateTimeFormat('en', { dateStyle: 'full' }).format(0).length > 0;
    const segs = new Intl.Segmenter('en'); for (let i = 0; i < 200; i++) n += segs.segment('ab'.repeat(5000)).containing(0).segment.length;
    [n, new Float64Array(3.5e6).length]`)).toEqual([1000 + 9e6 + 200, 3.5e6]);
});

it('the second allocation is refused where it is made: a RangeError the script can catch', async () => {
  expect(await valueOf(engine, `${reserve} let caught = 'made';
    try { new Uint8Array(46 * 2 ** 20); } catch (e) { caught = e.name; }
    [r.byteLength, caught, new Uint8Array(r)[5]]`)).toEqual([49 * MiB, 'RangeError', 7]);
});

it('a reservation the limit has room for beside the heap and other buffers is made', async () => {
  expect(await valueOf(engine, `const a = new Uint8Array(10 * 2 ** 20).fill(1), h = new Array(1e6).fill(0.5);
    const r = new ArrayBuffer(0, { maxByteLength: 30 * 2 ** 20 }); r.resize(30 * 2 ** 20);
    const keep = []; for (let i = 0; i < 20; i++) keep.push(new Intl.DateTimeFormat('en'));
    [a.length, h.length, r.byteLength, keep.length]`)).toEqual([10 * MiB, 1e6, 30 * MiB, 20]);
});

it('a reservation V8 refuses leaves the room to the heap', async () => {
  // Each refused reservation bought its charge outside the heap: freed when handed back, the heap array after them still fits.
  expect(await valueOf(engine, `let refused = 0;
    for (let i = 0; i < 20; i++) { try { new ArrayBuffer(2 ** 25, { maxByteLength: 2 ** 24 }); } catch (e) { refused++; } }
    const h = new Uint8Array(30 * 2 ** 20);
    [refused, h.length]`)).toEqual([20, 30 * MiB]);
});
