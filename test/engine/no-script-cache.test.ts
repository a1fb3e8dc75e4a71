// With no compile cache (enable_caching = false, the pool's maxCacheSize 0) a worker's isolates keep
// no compiled Script either: every run of the same source compiles it again. With the cache on, a
// warm isolate runs the Script it kept. A worker reports the code it compiled with the result
// (`compiled`): that is what tells the two apart here.
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerHandle } from '../../src/engine/supervisor.ts';
import { spawnWorker } from './helpers.ts';
import type { ExecMsg, ResultMsg } from '../../src/engine/protocol.ts';

const workers: WorkerHandle[] = [];
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.shutdown(true))); }, 20_000);

async function worker(keepScripts: boolean): Promise<WorkerHandle> {
  const w = spawnWorker(`scripts-${keepScripts}`, { keepScripts });
  workers.push(w);
  await w.ready;
  return w;
}

let seq = 0;
/** The same source, as the pool sends it when the host has nothing cached for it. */
function runOnce(w: WorkerHandle, n: number): Promise<ResultMsg> {
  const msg: ExecMsg = {
    t: 'exec', id: ++seq, code: 'export default function main(a) { return a.n * 3 }', compiled: false, language: 'javascript', filename: 'same.js', cacheKey: 'same-key',
    payload: JSON.stringify({ args: { n }, env: {}, user: null, tools: [], executionId: `e${seq}`, scriptId: '' }), tools: [], profile: false,
    limits: { memoryMb: 32, wallTimeoutMs: 5000, cpuBudgetMs: 5000, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10 },
  };
  return w.exec(msg, 10_000, () => {});
}

describe('the per-isolate Script cache', () => {
  it('is off with the compile cache: every run of the same source compiles it', async () => {
    const w = await worker(false);
    for (let n = 1; n <= 4; n++) {
      const r = await runOnce(w, n);
      expect(r.outcome.ok).toBe(true);
      expect(r.outcome.returnJson).toBe(String(n * 3));
      expect(r.compiled, `run ${n} compiled its source`).toBeDefined();
      expect(r.outcome.compileMs).toBeGreaterThan(0);
      // Nobody keeps V8 cache data then: none is made.
      expect(r.compiled!.cachedData).toBeUndefined();
    }
  }, 30_000);

  it('is on by default: a warm isolate runs the Script it compiled', async () => {
    const w = await worker(true);
    const first = await runOnce(w, 1);
    expect(first.compiled).toBeDefined();
    const again = await runOnce(w, 2);
    expect(again.outcome.returnJson).toBe('6');
    expect(again.compiled).toBeUndefined();
  }, 30_000);
});
