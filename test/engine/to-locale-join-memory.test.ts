// Array's and the typed arrays' toLocaleString (the prelude's loop) built their text with +=: two cons
// strings per element, so 1e6 numbers (a 2 MB result, 10 MiB of heap natively) outgrew a 50 MiB limit
// (memory_limit) where the builtin answered. The texts are now joined in flat chunks.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it.each([
  ['Array(1e6).fill(1).toLocaleString().length', 1999999],
  ['new Uint8Array(4e6).toLocaleString().length', 7999999],
  ['Array(2e6).fill("ab").toLocaleString().length', 5999999],
  ['Array(1e6).fill(1.5).toLocaleString("de", { maximumFractionDigits: 1 }).length', 3999999],
])('%s fits a 50 MiB limit, as the builtin does', async (source, length) => {
  const r = await run(engine, source, { limits: { wallTimeoutMs: 20_000 } as never });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toBe(length);
}, 30_000);

it('chunk edges keep the separators and holes of the builtin', async () => {
  const source = '[4095, 4096, 4097, 8192, 8193].map((n) => { const a = Array.from({ length: n }, (_, i) => i % 3 === 0 ? null : i); a[n - 1] = undefined; return a.toLocaleString(); })';
  const r = await run(engine, source, { limits: { wallTimeoutMs: 10_000, maxReturnBytes: 4 * MiB } as never });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toEqual((0, eval)(source));
}, 30_000);
