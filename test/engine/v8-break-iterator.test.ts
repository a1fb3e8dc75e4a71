// Intl.v8BreakIterator (V8's non-standard forerunner of Intl.Segmenter) holds ICU memory outside the heap
// that nothing counted: a script keeping many grew its worker far past its memory limit. It is removed.
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';
import { oneWorker, safeAt1s } from './one-worker.ts';

const { engine, exits } = oneWorker();

describe('Intl.v8BreakIterator', () => {
  it('is not there to make: a script keeping 200,000 (1.3 GB of ICU memory) under 50 MiB fails at once', async () => {
    const source = 'const keep = []; for (let i = 0; i < 2e5; i++) keep.push(new Intl.v8BreakIterator("en")); keep.length';
    const r = await run(engine(), source, { limits: { ...safeAt1s, wallTimeoutMs: 30_000, cpuShare: 100 } as never });
    expect(r.error?.name, JSON.stringify(r)).toBe('TypeError');
    expect(exits).toEqual([]);
  }, 60_000);

  it('is gone from Intl, whose other members stay', async () => {
    const r = await run(engine(), '[typeof Intl.v8BreakIterator, "v8BreakIterator" in Intl, typeof Intl.Segmenter, [...new Intl.Segmenter("en", { granularity: "word" }).segment("a b")].length]');
    expect(r.returnValue).toEqual(['undefined', false, 'function', 3]);
  }, 30_000);
});
