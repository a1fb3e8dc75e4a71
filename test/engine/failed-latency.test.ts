// Executions that fail without the worker answering (its death, a cancel) count as executions in
// the latency percentiles too, as script.proto's PerformanceMetrics says: one rule for both.
import { afterEach, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 20_000);

it('a run lost with its worker is in the latencies', async () => {
  engine = await startEngine({ workers: 1, enableTestHooks: true });
  await expect(run(engine, '1', { testHook: 'abort' })).rejects.toMatchObject({ reason: 'WORKER_CRASHED' });
  const s = engine.stats();
  expect([s.executionsTotal, s.executionsFailed]).toEqual([1, 1]);
  expect(s.latencyP50Ms).toBeGreaterThan(0);
});

it('a cancelled run is in the latencies', async () => {
  engine = await startEngine({ workers: 1 });
  const ctl = new AbortController();
  let began = false;
  const spinning = run(engine, 'export default (a, ctx) => { ctx.tools.began().catch(() => {}); const t = Date.now(); while (Date.now() - t < 2000); }', {
    limits: { tools: ['began'] } as never,
    onToolCall: async () => { began = true; return null; },
  }, ctl.signal);
  await until('the run has begun', () => began);
  ctl.abort();
  expect((await spinning).error?.kind).toBe('cancelled');
  const s = engine.stats();
  expect([s.executionsTotal, s.executionsFailed]).toEqual([1, 1]);
  expect(s.latencyP50Ms).toBeGreaterThan(0);
});
