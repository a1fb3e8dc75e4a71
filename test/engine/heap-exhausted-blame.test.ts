// A script that exhausts its isolate's heap inside V8 (a Map filled in a loop, an array filled past
// the limit, Array.fromAsync over a huge array-like) makes V8 print its "Last few GCs" report and call
// isolated-vm's out-of-memory handler, which parks the isolate's thread for good: the worker hung to
// the script's deadline and its grace, and the script was told TIMEOUT. The supervisor now reads the
// report on the worker's stderr and ends the worker at once, as the memory breach it is.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine, WorkerExit } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle } from '../helpers/until.ts';

let engine: Engine;
const exits: WorkerExit[] = [];
beforeAll(async () => { engine = await startEngine({ workers: 1, heartbeatTimeoutMs: 60_000, onWorkerExit: (x) => exits.push(x) }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

for (const [what, source] of [
  ['a Map filled in a loop', 'const m = new Map(); for (let i = 0; ; i++) m.set(i, i);'],
  ['a sparse array filled in order', 'const a = new Array(1e9); for (let i = 0; ; i++) a[i] = i;'],
  ['Array.fromAsync over a huge array-like', 'export default async function main() { return (await Array.fromAsync({ length: 1e9 })).length }'],
] as const) {
  it(`${what} gets its memory limit, not a timeout; a parked neighbour runs again`, async () => {
    const before = exits.length;
    const neighbour = run(engine, 'new Promise((r) => setTimeout(() => r("neighbour ok"), 1500))', { limits: { wallTimeoutMs: 30_000 } as never });
    try {
      await new Promise((r) => setTimeout(r, 300));
      // A 10 s wall limit: hung, the worker would be replaced only past it (and its grace), as a timeout.
      const r = await run(engine, source, { executionId: 'attack', limits: { wallTimeoutMs: 10_000 } as never });
      expect(r.error, JSON.stringify(r.error ?? r.returnValue)).toMatchObject({ kind: 'memory_limit' });
      expect((await neighbour).returnValue).toBe('neighbour ok');
      // On a loaded machine isolated-vm's own heap check sometimes stops the script first (memory_limit,
      // the worker kept); when V8's report does, the worker is replaced and only the script blamed.
      const replaced = exits.slice(before);
      if (replaced.length > 0) expect(replaced).toMatchObject([{ reason: 'ran out of memory (its heap was exhausted)', blamed: [{ executionId: 'attack', kind: 'memory_limit' }], failed: 0 }]);
    } finally {
      await settle([neighbour]);
    }
  }, 60_000);
}
