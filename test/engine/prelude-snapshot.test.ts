// Every context is made from a V8 startup snapshot holding the installed prelude. V8 puts no flagged
// builtin into a snapshot but installs them into each context made from one, after the prelude: those
// the prelude removes or guards must be removed or guarded again there, and the prelude's bounds,
// installed for one memory limit, must be each run's own.
import { describe, expect, it } from 'vitest';
import { MiB, run } from './helpers.ts';
import { oneWorker } from './one-worker.ts';

const { engine, exits } = oneWorker();

async function valueAt(memoryBytes: number, source: string): Promise<unknown> {
  const r = await run(engine(), source, { limits: { memoryBytes, wallTimeoutMs: 20_000 } as never });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  return r.returnValue;
}

describe('contexts made from the prelude snapshot', () => {
  it('lack what the prelude removes, V8 having installed it after the snapshot', async () => {
    expect(await valueAt(50 * MiB, `[typeof SharedArrayBuffer, typeof WebAssembly, typeof Atomics.wait, typeof Atomics.waitAsync,
      Reflect.ownKeys(globalThis).filter((k) => typeof k === 'string' && k.startsWith('__')).length]`))
      .toEqual(['undefined', 'undefined', 'undefined', 'undefined', 0]);
  });

  it('charge a Float16Array as every typed array (V8 makes its constructor after the snapshot), to each run\'s own limit', async () => {
    // Typed arrays of over 64 bytes take 256 B each from a budget of the memory limit's size, dropped
    // or not: the count made before the refusal tells the budget, the same for either type.
    const madeUntilRefused = (type: string) => `(() => { let n = 0;
      try { for (;;) { new ${type}(50); n++; } } catch (e) { return [n, e.name, /too many buffers/.test(e.message)]; } })()`;
    for (const mib of [16, 40]) {
      const f16 = await valueAt(mib * MiB, madeUntilRefused('Float16Array')) as [number, string, boolean];
      const f32 = await valueAt(mib * MiB, madeUntilRefused('Float32Array')) as [number, string, boolean];
      expect(f16.slice(1)).toEqual(['RangeError', true]);
      expect(f16[0]).toBe(f32[0]);
      expect(f16[0]).toBeLessThanOrEqual(mib * MiB / 256);
      expect(f16[0]).toBeGreaterThan(mib * MiB / 256 - 64);
    }
    expect(await valueAt(16 * MiB, 'Float16Array.prototype.constructor === Float16Array && new Float16Array([1.5, 2])[1] === 2')).toBe(true);
  }, 60_000);

  it("size the key-listing bound to each run's memory limit", async () => {
    const bound = 'try { Object.keys("x".repeat(4e6)); "listed" } catch (e) { e.message.match(/at most \\d+/)[0] }';
    expect(await valueAt(16 * MiB, bound)).toBe(`at most ${Math.floor(16 * MiB / 48)}`);
    expect(await valueAt(48 * MiB, bound)).toBe(`at most ${Math.floor(48 * MiB / 48)}`);
    expect(exits).toEqual([]);
  }, 60_000);
});
