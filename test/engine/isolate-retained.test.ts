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

describe('Symbol.for keys a run registers', () => {
  it('do not leave the next caller less room than its limit', async () => {
    // Each run keeps 9 MiB of keys in the registry of an isolate with a 50 MiB limit, and succeeds.
    for (let k = 0; k < 2; k++) {
      const f = await run(engine, `for (let i = 0; i < 9; i++) Symbol.for('${k}:' + i + 'x'.repeat(1 << 20)); 'kept'`, { limits: { ...limits, memoryBytes: 50 * MiB } as never });
      expect(f.error, JSON.stringify(f.error)).toBeUndefined();
    }
    // Another caller's script keeping 40 MiB of its 50.
    const o = await run(engine, `const keep = []; for (let n = 0; n < 40; n++) keep.push(new Array(1 << 17).fill(n + 0.5)); 'ok'`, { limits: { ...limits, memoryBytes: 50 * MiB } as never });
    expect(o.error, JSON.stringify(o.error)).toBeUndefined();
    expect(o.returnValue).toBe('ok');
    expect(exits).toEqual([]);
  }, 60_000);

  it('answers as V8 does', async () => {
    const source = `const out = [];
      const a = Symbol.for('k'), o = { toString() { out.push('toString'); return 'k'; } };
      out.push(a === Symbol.for('k'), a === Symbol.for(o), Symbol.for() === Symbol.for('undefined'), Symbol.for(1) === Symbol.for('1'),
        Symbol.keyFor(Symbol.for('z'.repeat(3e4))).length, Symbol.for.name, Symbol.for.length, typeof Symbol.for.prototype, Symbol.for('d').description);
      try { Symbol.for(Symbol()); } catch (e) { out.push(e.name, e.message); }
      try { new Symbol.for('x'); } catch (e) { out.push(e.name); }
      for (let i = 0; i < 2000; i++) if (Symbol.keyFor(Symbol.for('n' + i)) !== 'n' + i) out.push(i);
      out`;
    const r = await run(engine, source, { limits: { ...limits, memoryBytes: 50 * MiB } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual(JSON.parse(JSON.stringify((0, eval)(source))));
  }, 30_000);
});
