// An execution is one compile-cache lookup however often it is dispatched: run again after another
// execution took its worker down, or handed back unstarted by a dying worker, it was counted again
// (cache_hits/cache_misses and total_compilations drifted up with every such death).
import { afterEach, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

const lookups = (e: Engine) => { const s = e.stats(); return { hits: s.cacheHits, misses: s.cacheMisses, compilations: s.compilations }; };
const moved = (a: ReturnType<typeof lookups>, b: ReturnType<typeof lookups>) => ({ hits: b.hits - a.hits, misses: b.misses - a.misses, compilations: b.compilations - a.compilations });

it('a parked execution run again after a neighbour crashed the worker is one lookup', async () => {
  engine = await startEngine({ workers: 1, enableTestHooks: true, heartbeatTimeoutMs: 60_000 });
  const before = lookups(engine);
  const parked = run(engine, `new Promise((r) => setTimeout(() => r("parked ok"), 1500)) // ${Math.random()}`, { executionId: 'parked', limits: { wallTimeoutMs: 20_000 } as never });
  try {
    await new Promise((r) => setTimeout(r, 300)); // parked on its timer in the only worker
    const culprit = await run(engine, `1 // ${Math.random()}`, { testHook: 'oom', executionId: 'culprit' });
    expect(culprit.error?.kind).toBe('memory_limit');
    const p = await parked;
    expect(p.returnValue).toBe('parked ok');
    expect(p.metadata.workerId).toBe('w2'); // it ran again, on the replacement
    // Two executions, two new sources: two misses, two compilations.
    expect(moved(before, lookups(engine))).toEqual({ hits: 0, misses: 2, compilations: 2 });
  } finally {
    await settle([parked]);
  }
}, 60_000);

it('executions handed back unstarted by a dead worker are one lookup each', async () => {
  engine = await startEngine({ workers: 1, sendAheadExpectedMs: 10_000 });
  const SCRIPT = 'export default async function main(a) { if (a.spin) { const end = Date.now() + a.spin; while (Date.now() < end) {} } return a.id; }';
  const caller = { key: 'carol', limit: 100 };
  const call = (id: string, spin = 0) => run(engine!, SCRIPT, { arguments: { id, spin }, cacheKey: 'count-once', caller, limits: { wallTimeoutMs: 10_000 } as never });
  expect((await call('warm')).returnValue).toBe('warm');
  const before = lookups(engine);
  const first = call('first', 3000);
  const queued = [call('q1'), call('q2')];
  try {
    expect(engine.stats().sentAhead).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(engine.workers()[0]!.pid!, 'SIGKILL');
    await expect(first).rejects.toThrow();
    expect((await Promise.all(queued)).map((r) => r.returnValue)).toEqual(['q1', 'q2']);
    expect(engine.stats().handedBack).toBe(2);
    expect(moved(before, lookups(engine))).toEqual({ hits: 3, misses: 0, compilations: 0 });
  } finally {
    await settle([first, ...queued]);
  }
}, 60_000);
