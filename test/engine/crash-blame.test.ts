import { afterEach, expect, it } from 'vitest';
import { WorkerHandle } from '../../src/engine/supervisor.ts';
import type { ExecMsg, WorkerLimits } from '../../src/engine/protocol.ts';
import { until } from '../helpers/until.ts';

const workers: WorkerHandle[] = [];
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.shutdown(true))); }, 20_000);

async function hungWorker(wallTimeoutMs: number, limits: Partial<WorkerLimits> = {}, graceMs = 600_000): Promise<{ w: WorkerHandle; result: Promise<unknown> }> {
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
    limits: { memoryMb: 32, wallTimeoutMs, cpuBudgetMs: wallTimeoutMs / 2, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10, ...limits },
  };
  // By default a host deadline far away: the supervisor's own hang check (blameOverdue) is not what is tested.
  const result = w.exec(msg, graceMs, () => {}).then((r) => r.outcome, (e: unknown) => e);
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

// A run started again after a neighbour took its worker down has only what was left of its wall time
// (its deadline), but the limit it exceeds is its own: a worker hung past that deadline told it
// "wall-clock limit of 300 ms" where its caller had given it, and its ErrorInfo named, 5000 ms.
it('a run started again and hung past its deadline is told its own wall limit, not what was left of it', async () => {
  const { w, result } = await hungWorker(300, { wallLimitMs: 5000, cpuBudgetMs: 300 }, 100);
  await until('the run is past its host deadline', () => w.hungPast(Date.now(), 0));
  w.kill('hung past an execution deadline', w.blameOverdue(Date.now()));
  const outcome = await result as { error?: { kind: string; message: string; limit?: string } };
  expect(outcome.error).toMatchObject({ kind: 'timeout', limit: 'wall_clock' });
  expect(outcome.error?.message).toContain('wall-clock limit of 5000 ms');
}, 30_000);
