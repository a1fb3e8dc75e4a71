import { afterEach, expect, it } from 'vitest';
import { diedOutOfMemory, WorkerHandle } from '../../src/engine/supervisor.ts';
import type { ExecMsg } from '../../src/engine/protocol.ts';

let worker: WorkerHandle | undefined;
afterEach(async () => { await worker?.shutdown(); worker = undefined; }, 20_000);

it('reads V8 out of memory in its report heading alone', () => {
  // V8 can crash (SIGSEGV) while printing its out-of-memory report: this heading is all it wrote.
  expect(diedOutOfMemory('\n<--- Last few GCs --->\n\n')).toBe(true);
  expect(diedOutOfMemory('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory')).toBe(true);
  expect(diedOutOfMemory('isolate catastrophic error: something else\n')).toBe(false);
});

// A worker that died after "<--- Last few GCs --->" (and nothing more) was read as a plain crash: the
// script holding its thread got a retryable WORKER_CRASHED, and the death counted as a worker failure
// (five made the instance UNHEALTHY). It ran out of memory: that script hit its memory limit.
it('a worker dying in the middle of its out-of-memory report is the running script\'s memory limit', async () => {
  worker = new WorkerHandle({
    workerId: 'oom-report', isolates: 1, recycleAfter: 500, maxOldSpaceMb: 512, testHooks: false, defaultMemoryMb: 32,
    codeCacheBytes: 1 << 20, maxParked: 8, idleSlotMs: 30_000,
  });
  await worker.ready;
  const msg: ExecMsg = {
    t: 'exec', id: 1, code: 'for (;;) {}', compiled: false, language: 'javascript', filename: 'spin.js', cacheKey: 'spin',
    payload: JSON.stringify({ args: {}, env: {}, user: null, tools: [], executionId: 'e1', scriptId: '' }), tools: [], profile: false,
    limits: { memoryMb: 32, wallTimeoutMs: 60_000, cpuBudgetMs: 60_000, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10 },
  };
  const result = worker.exec(msg, 5000, () => {});
  await new Promise((r) => setTimeout(r, 500));
  // What V8 wrote before it crashed, as the supervisor reads it from the worker's stderr.
  worker.child.stderr!.emit('data', Buffer.from('\n<--- Last few GCs --->\n\n'));
  process.kill(worker.pid!, 'SIGSEGV');
  const r = await result;
  expect(r.outcome.error?.kind).toBe('memory_limit');
  expect(worker.dead).toBe(true);
}, 30_000);
