// GetMetrics' average_execution_time is the mean of the runs' execution time: an execution that
// failed without a result (its worker crashed) counts in total_executions but adds no time, so it
// must not pull the mean down.
import { afterEach, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

it('an execution lost with its worker does not count in the mean execution time', async () => {
  engine = await startEngine({ workers: 1, enableTestHooks: true });
  await expect(run(engine, '1', { testHook: 'abort' })).rejects.toMatchObject({ reason: 'WORKER_CRASHED' });
  const ran = await run(engine, 'const t = Date.now(); while (Date.now() - t < 50) {} 1');
  expect(ran.success).toBe(true);
  const stats = engine.stats();
  expect(stats.executionsTotal).toBe(2);
  expect(stats.averageExecutionMs).toBeCloseTo(ran.executionTimeMs, 6);
}, 60_000);
