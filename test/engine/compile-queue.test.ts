// Compilations are bounded like executions: past max_queue in flight, QUEUE_FULL with a retry
// hint; the ones admitted complete, and the engine keeps compiling afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { EngineError } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, maxQueue: 2 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

describe('compile admission', () => {
  it('refuses compilations past max_queue in flight, completes the admitted ones', async () => {
    const sources = Array.from({ length: 6 }, (_, i) => `export default () => ${i} + ${'0 + '.repeat(20_000)}0;`);
    const results = await Promise.allSettled(sources.map((s) => engine.compile(s)));
    const refused = results.filter((r) => r.status === 'rejected');
    const done = results.filter((r) => r.status === 'fulfilled');
    expect(done.length).toBe(2);
    expect(refused.length).toBe(4);
    for (const r of refused) {
      const e = (r as PromiseRejectedResult).reason as EngineError;
      expect(e).toBeInstanceOf(EngineError);
      expect(e.reason).toBe('QUEUE_FULL');
      expect(e.retryAfterMs).toBeGreaterThan(0);
    }
    expect((await engine.compile('export default () => "after"')).cacheHit).toBe(false);
  });
});

describe('compile deadline', () => {
  it('answers a compilation stuck behind a long script at its deadline, TIMEOUT', async () => {
    const busy = await startEngine({ workers: 1, compileTimeoutMs: 400 });
    let spinning: ReturnType<typeof run> | undefined;
    try {
      spinning = run(busy, 'for (;;) {}', { limits: { wallTimeoutMs: 6000 } as never });
      let spun = false;
      void spinning.then(() => (spun = true));
      // Sent to the worker (its own compilation done), so the compilation below goes in behind it.
      await until('the script runs on the worker', () => busy.stats().busyIsolates === 1, { seen: () => busy.stats() });
      const err = await busy.compile('export default () => "waits"').then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).reason).toBe('TIMEOUT');
      expect((err as EngineError).message).toMatch(/busy running scripts/);
      expect(spun).toBe(false); // answered while the script still held the worker, not after it
      expect((await spinning).error?.kind).toBe('timeout');
      // Once the worker is free, the same source compiles (the late answer was dropped, not cached wrongly).
      expect((await busy.compile('export default () => "waits"')).kind).toBe('module');
    } finally {
      await settle(spinning ? [spinning] : []);
      await busy.close();
    }
  }, 20_000);
});
