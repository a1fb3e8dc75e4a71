// What happens once a registered tool's run ends, for the pool's bookkeeping. (1) A caller cancelled
// while its tool run spun was answered at its cancel, when the worker was still busy; the worker's
// later answers (the tool run's, the caller's) pumped nothing, so the execution queued meanwhile never
// started: the queue stood still, for every caller, with the worker idle. (2) A tool run that takes its
// worker down blames its caller too (the breach is the caller's outcome): one replacement struck that
// caller twice, locking it out at half its max_worker_kills.
import { afterEach, expect, it } from 'vitest';
import type { Engine, ExecuteJob, ToolCallback } from '../../src/engine/index.ts';
import { safeLimits, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close({ now: true }); engine = undefined; }, 20_000);

/** A registered tool's run as the tools registry makes it: no caller of its own, its parent named. */
const toolRunning = (e: () => Engine, source: string, wallTimeoutMs?: number): ToolCallback => async (_name, _args, tctx) => {
  const o = await e().execute({ source, kind: 'module', limits: { ...safeLimits, tools: [], wallTimeoutMs: wallTimeoutMs ?? tctx.timeoutMs }, parentExecutionId: tctx.executionId, executionId: `${tctx.executionId}/tool`, notCounted: true }, tctx.signal);
  if (o.error) throw new Error(o.error.message);
  return o.returnValue ?? null;
};

it('the queue moves on once a cancelled caller\'s spinning tool run ends', async () => {
  const e = engine = await startEngine({ workers: 1 });
  const later: Partial<ExecuteJob> = { limits: { ...safeLimits, wallTimeoutMs: 30_000 } };
  // Cached first: the queued run below needs nothing but the worker.
  expect((await e.execute({ source: '40 + 2', ...later } as ExecuteJob)).returnValue).toBe(42);
  const cancel = new AbortController();
  const caller = e.execute({
    source: 'export default async (a, ctx) => ctx.tools.t({})',
    limits: { ...safeLimits, tools: ['t'], wallTimeoutMs: 30_000 },
    // Spins 1.5 s (its own wall limit), longer than the cancel's grace: the worker is busy when the caller is answered.
    onToolCall: toolRunning(() => e, 'export default () => { for (;;) {} }', 1500),
  }, cancel.signal);
  // The caller parked on its call, the tool run spinning: both are the worker's.
  await until('the tool run holds the worker', () => e.stats().busyIsolates === 2, { seen: () => e.stats() });
  const queued = e.execute({ source: '40 + 2', ...later } as ExecuteJob);
  await until('the execution is queued', () => e.stats().queueLength === 1);
  cancel.abort();
  expect((await caller).error?.kind).toBe('cancelled');
  // Ran once the tool run ended (~1.5 s), not when its own 30 s ran out (the queue stood still).
  const r = await Promise.race([queued, new Promise<undefined>((res) => setTimeout(() => res(undefined), 15_000))]);
  expect(r?.returnValue).toBe(42);
}, 60_000);

it('a tool run that takes its worker down strikes its caller once', async () => {
  const e = engine = await startEngine({ workers: 1, maxWorkerKillsPerCaller: 2, workerKillWindowMs: 60_000 });
  const caller = { key: 'bob', limit: 10 };
  const r = await e.execute({
    source: 'export default async (a, ctx) => ctx.tools.t({})',
    limits: { ...safeLimits, tools: ['t'], wallTimeoutMs: 20_000 }, caller,
    // V8 aborts the worker (a result past what it can size): a memory breach no limit stops in time.
    onToolCall: toolRunning(() => e, 'export default () => "x".repeat(2 ** 28).split("").length'),
  });
  expect(r.error?.kind).toBe('memory_limit');
  expect(r.error?.message).toMatch(/took its worker down/);
  // One replacement, one strike of two allowed: bob is still served.
  const next = await e.execute({ source: '6 * 7', limits: safeLimits, caller });
  expect(next.returnValue).toBe(42);
}, 60_000);
