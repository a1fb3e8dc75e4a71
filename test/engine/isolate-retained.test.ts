import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine } from './helpers.ts';

// An isolate serves many executions, each in a fresh context, but its Symbol.for registry is the
// isolate's: the keys a run registered stayed in its heap, counted against every later run's limit.
// A few short, successful runs filled a warm isolate: the next context could not be made (the worker
// process ended, its executions failed WORKER_CRASHED, nobody blamed), or the next caller's script
// ran out of the memory its limit promised.

let engine: Engine;
const exits: { reason: string }[] = [];
beforeAll(async () => { engine = await startEngine({ workers: 1, onWorkerExit: (e) => exits.push(e) }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);
beforeEach(() => { exits.length = 0; });

const limits = { wallTimeoutMs: 20_000 };

describe('state an isolate keeps across executions', () => {
  it('an isolate filled by earlier runs is replaced, not its worker', async () => {
    // Each fill keeps ~8 MB of keys (of a 32 MiB limit) in the registry and succeeds.
    const fill = (tag: string) => `let i = 0; for (; i < 3e4; i++) Symbol.for('${tag}' + i + 'x'.repeat(200)); i`;
    const other = `const keep = []; for (let n = 0; n < 20; n++) keep.push('y'.repeat(1 << 20) + n); 'ok'`;
    for (let k = 0; k < 5; k++) {
      const f = await run(engine, fill(`f${k}_`), { limits: { ...limits, memoryBytes: 32 * MiB } as never });
      expect(f.error, JSON.stringify(f.error)).toBeUndefined();
      const o = await run(engine, other, { limits: { ...limits, memoryBytes: 32 * MiB } as never });
      expect(o.error, `after fill ${k}: ${JSON.stringify(o.error)}`).toBeUndefined();
      expect(o.returnValue).toBe('ok');
    }
    expect(exits).toEqual([]);
    await expectHealthy(engine);
  }, 60_000);
});
