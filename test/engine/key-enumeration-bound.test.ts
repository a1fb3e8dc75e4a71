// The key-listing guard (key-enumeration.test.ts) let through any length up to the walk bound
// (memory / 8, 6.5e6 at 50 MiB), but a listed key takes V8 ~48 bytes and an entry ~128: Object.values
// of 3e6 characters or Object.entries of 1.6e6 thrashed deaf near the memory limit until the worker
// was replaced. Listings are bounded by what fits the memory limit (maxKeys, maxEntries in the prelude).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const maxKeys = Math.floor((50 * MiB) / 48), maxEntries = Math.floor((50 * MiB) / 128);

it('refuses a listing of more keys or entries than the memory limit holds', async () => {
  expect(await valueOf(engine, `const out = [];
    const tries = [() => Object.entries('x'.repeat(1.6e6)), () => Object.values('x'.repeat(3e6)), () => Object.getOwnPropertyNames(new Uint8Array(5e6)),
      () => JSON.stringify(new Uint8Array(6e6)), () => Object.getOwnPropertyDescriptors(new Uint8Array(${maxEntries + 1})), () => Object.keys(new Uint8Array(${maxKeys + 1}))];
    for (const f of tries) { try { f(); out.push('listed'); } catch (e) { out.push(e.name + ': ' + (e.message.match(/at most \\d+/) || [e.message])[0]); } }
    out`)).toEqual([`RangeError: at most ${maxEntries}`, ...Array(3).fill(`RangeError: at most ${maxKeys}`), `RangeError: at most ${maxEntries}`, `RangeError: at most ${maxKeys}`]);
  expect(engine.stats().workerRestarts).toBe(0);
  await expectHealthy(engine);
}, 60_000);

it('lists what fits, and refuses a returned typed array past maxKeys as output_limit', async () => {
  expect(await valueOf(engine, `[Object.keys(new Uint8Array(100000)).length, Object.entries('x'.repeat(50000)).length]`)).toEqual([100000, 50000]);
  const r = await run(engine, `new Uint8Array(${maxKeys + 1})`, { limits: { maxReturnBytes: 64 * MiB } as never });
  expect(r.error?.kind, JSON.stringify(r.error)).toBe('output_limit');
  expect(r.error?.message).toContain(`at most ${maxKeys} `);
}, 30_000);
