// Each ArrayBuffer, of any length, holds ~200 B of malloc memory (V8's extension and backing store) that
// neither the heap limit nor isolated-vm's allocator counts: a million of ArrayBuffer(1) took a worker's
// RSS up 220 MB under a 100 MiB limit. Every construction making a buffer takes a fixed cost from the
// script's off-heap budget (the memory limit's size); views of a buffer given take nothing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 32 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const limits = { memoryBytes: 32 * MiB, wallTimeoutMs: 20_000 } as never;

// 2e5 buffers held fit the 32 MiB heap (~120 B each there), but not the budget at 256 B each. (A typed array
// of 64 bytes or fewer has none until its buffer is asked for: see small-typed-array-charge.test.ts. One of
// 65 held would take 208 B of heap and its 65 bytes: its buffer alone is held, the typed array charged when made.)
for (const [what, make] of [
  ['new ArrayBuffer(1)', 'new ArrayBuffer(1)'],
  ['new ArrayBuffer(0)', 'new ArrayBuffer(0)'],
  ['new Uint8Array(1).buffer', 'new Uint8Array(1).buffer'],
  ['ArrayBuffer slice', 'ab.slice(0, 1)'],
  ['typed array slice', 'big.slice(0, 65).buffer'],
  ['Float64Array.of', 'Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9).buffer'],
  ['toReversed', 'big.toReversed().buffer'],
  ['transfer', 'new ArrayBuffer(1).transfer()'],
]) {
  it(`2e5 of ${what} held at 32 MiB are refused memory_limit`, async () => {
    const restarts = engine.stats().workerRestarts;
    const r = await run(engine, `const ab = new ArrayBuffer(4), big = new Uint8Array(65), keep = [];
      for (let i = 0; i < 2e5; i++) keep.push(${make});
      keep.length`, { limits });
    expect(r.error?.kind, JSON.stringify(r.error ?? r.returnValue)).toBe('memory_limit');
    expect(r.error?.message).toContain('too many buffers for the memory limit');
    expect(engine.stats().workerRestarts).toBe(restarts);
    await expectHealthy(engine);
  }, 30_000);
}

it('ordinary use of thousands of small buffers, views and typed arrays still works', async () => {
  const r = await run(engine, `let sum = 0;
    class Bytes extends Uint8Array {}
    class Buf extends ArrayBuffer {}
    for (let i = 0; i < 5000; i++) {
      const ab = new ArrayBuffer(8), dv = new DataView(ab);
      dv.setUint32(0, i); sum += new Uint8Array(ab)[3] + new Uint8Array(ab, 2, 2)[1];
      const t = new Uint16Array([i, 2, 3]), s = t.subarray(1), c = t.slice(0, 2);
      sum += s[0] + c[1] + Float64Array.from(t)[2] + new Bytes(2).length + new Buf(3).byteLength + t.map((x) => x)[1];
    }
    // Views of one buffer take nothing however many are made.
    const one = new ArrayBuffer(16);
    for (let i = 0; i < 3e5; i++) sum += new Uint8Array(one, 1).length - new DataView(one, 1).byteLength;
    sum`, { limits });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  let sum = 0;
  for (let i = 0; i < 5000; i++) sum += (i & 255) + (i & 255) + 2 + 2 + 3 + 2 + 3 + 2;
  expect(r.returnValue).toBe(sum);
});

it('a construction V8 refuses gives its charge back', async () => {
  // 3e5 refused constructions would take 77 MB of the 50 MiB budget: kept, the last buffers would be refused.
  expect(await valueOf(engine, `let refused = 0;
    for (let i = 0; i < 1.5e5; i++) {
      try { new ArrayBuffer(-1); } catch (e) { if (e.name === 'RangeError') refused++; }
      try { new Uint8Array(-1); } catch (e) { if (e.name === 'RangeError') refused++; }
    }
    [refused, new ArrayBuffer(2).byteLength, new Uint8Array(3).length]`)).toEqual([3e5, 2, 3]);
});

// At 50 MiB (valueOf's limit), at most 204,800 buffers.
it('past the budget, a buffer made is a RangeError the script can catch, and views of one given still work', async () => {
  expect(await valueOf(engine, `const one = new ArrayBuffer(8), ta = new Uint8Array(one);
    let made = 0, err;
    try { for (let i = 0; i < 3e5; i++) { new ArrayBuffer(0); made++; } } catch (e) { err = e; }
    const refused = (f) => { try { f(); return 'made'; } catch (e) { return e.name; } };
    [made > 100000 && made <= 204800, err instanceof RangeError, refused(() => new Uint8Array(65)), refused(() => ta.slice().buffer),
     new Uint8Array(one, 4).length, new DataView(one).byteLength, ta.subarray(2).length]`)).toEqual([true, true, 'RangeError', 'RangeError', 4, 8, 6]);
});
