// resourceUsage.memoryBytes is the heap a run used (the proto: "peak heap bytes used by the isolate during
// the execution"). It was the isolate's whole heap when the run ended, garbage an earlier run on the same
// isolate left included: a bare `1` right after a run of 40 MiB reported ~43 MB.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const limits = { wallTimeoutMs: 20_000 } as never;

it('a small run after a large one on the same isolate reports its own memory, not what the large one left', async () => {
  for (const big of ['new Array(5e6).fill(1.5).length', 'new Uint8Array(40 * 2 ** 20).fill(1).length']) {
    const a = await run(engine, big, { limits });
    expect(a.error, JSON.stringify(a.error)).toBeUndefined();
    expect(a.usage.memoryBytes, big).toBeGreaterThan(40e6);
    const b = await run(engine, '1', { limits });
    expect(b.returnValue).toBe(1);
    expect(b.metadata.isolateId, 'the same isolate').toBe(a.metadata.isolateId);
    expect(b.usage.memoryBytes, `after ${big}`).toBeGreaterThan(0);
    expect(b.usage.memoryBytes, `after ${big}`).toBeLessThan(4 * MiB);
  }
}, 60_000);

it('a run that holds memory reports it, whatever an earlier run left', async () => {
  await run(engine, 'new Array(4e6).fill(0.5).length', { limits });
  const r = await run(engine, 'globalThis.keep = new Array(2e6).fill(2.5); keep.length', { limits });
  expect(r.returnValue).toBe(2e6);
  expect(r.usage.memoryBytes).toBeGreaterThan(15e6);
  expect(r.usage.memoryBytes).toBeLessThan(45 * MiB);
}, 60_000);

it('a run that needs the garbage an earlier run left collected reports all it holds, not its growth past that garbage', async () => {
  // 20 MB left, 30 MB held: the limit has no room for both, so a full GC takes the 20 during the run.
  for (let i = 0; i < 3; i++) {
    const a = await run(engine, 'new Array(2.5e6).fill(0.5).length', { limits });
    const r = await run(engine, 'globalThis.keep = new Array(3.75e6).fill(1.5); keep.length', { limits });
    expect(r.returnValue).toBe(3.75e6);
    expect(r.metadata.isolateId).toBe(a.metadata.isolateId);
    expect(r.usage.memoryBytes).toBeGreaterThan(28e6);
  }
}, 60_000);
