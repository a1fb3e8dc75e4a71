import { afterEach, expect, it } from 'vitest';
import { WorkerHandle } from '../../src/engine/supervisor.ts';
import type { ExecMsg } from '../../src/engine/protocol.ts';

const workers: WorkerHandle[] = [];
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.shutdown(true))); }, 20_000);

async function hungWorker(wallTimeoutMs: number): Promise<{ w: WorkerHandle; result: Promise<unknown> }> {
  const w = new WorkerHandle({
    workerId: `blame-${wallTimeoutMs}`, isolates: 1, recycleAfter: 500, maxOldSpaceMb: 256, testHooks: true, defaultMemoryMb: 32,
    codeCacheBytes: 1 << 20, maxParked: 8, idleSlotMs: 30_000,
  });
  workers.push(w);
  await w.ready;
  // The test hook holds the worker's thread as a builtin deaf to termination would.
  const msg: ExecMsg = {
    t: 'exec', id: 1, code: '1', compiled: false, language: 'javascript', filename: 'walk.js', cacheKey: 'walk', testHook: 'hang',
    payload: JSON.stringify({ args: {}, env: {}, user: null, tools: [], executionId: 'e1', scriptId: '' }), tools: [], profile: false,
    limits: { memoryMb: 32, wallTimeoutMs, cpuBudgetMs: wallTimeoutMs / 2, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10 },
  };
  // A host deadline far away: the supervisor's own hang check (blameOverdue) is not what is tested.
  const result = w.exec(msg, 600_000, () => {}).then((r) => r.outcome, (e: unknown) => e);
  return { w, result };
}

// isolated-vm takes a worker down (SIGSEGV) when guest code inside a builtin deaf to termination is
// still running seconds after the worker stopped it at its time limit: the caller got a retryable
// WORKER_CRASHED, blamed on nobody, and five such calls made the instance UNHEALTHY.
it('a worker dying while its one running execution is past its time limit is that execution\'s timeout', async () => {
  const { w, result } = await hungWorker(400); // stopped at its CPU budget, 200 ms
  const exits: unknown[] = [];
  w.onExit = (_w, _reason, held) => exits.push(held);
  await new Promise((r) => setTimeout(r, 600));
  process.kill(w.pid!, 'SIGSEGV');
  const outcome = await result as { error?: { kind: string; message: string } };
  expect(outcome.error?.kind).toBe('timeout');
  expect(outcome.error?.message).toContain('CPU time limit of 200 ms');
  expect(exits).toEqual([expect.objectContaining({ failed: 0, blamed: [expect.objectContaining({ kind: 'timeout' })] })]);
}, 30_000);

it('a worker dying before its running execution reached its time limit is still a crash', async () => {
  const { w, result } = await hungWorker(60_000);
  await new Promise((r) => setTimeout(r, 300));
  process.kill(w.pid!, 'SIGSEGV');
  const e = await result as Error & { reason?: string };
  expect(e).toBeInstanceOf(Error);
  expect(e.message).toContain('exited (SIGSEGV)');
}, 30_000);
