// A registered tool's run has no caller of its own and may outlive the execution that made it (a
// call not awaited, then a return): its worker, replaced to stop it once it was cancelled at its
// caller's end, is a strike against that caller all the same. It was nobody's: a caller could have
// workers replaced over and over, never refused by the worker-kill breaker.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine, WorkerExit } from '../../src/engine/index.ts';
import { EngineError } from '../../src/engine/index.ts';
import { safeLimits, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

const exits: WorkerExit[] = [];
let engine: Engine;
beforeAll(async () => {
  engine = await startEngine({ workers: 1, maxWorkerKillsPerCaller: 1, workerKillWindowMs: 60_000, hangGraceMs: 500, onWorkerExit: (x) => exits.push(x) });
}, 20_000);
afterAll(async () => { await engine?.close({ now: true }); }, 20_000);

const limits = { ...safeLimits, tools: ['t'] };
const mallory = { key: 'mallory', limit: 10 };

it('a tool run that outlives its caller and takes its worker down is that caller\'s strike', async () => {
  const r = await engine.execute({
    source: 'export default async (a, ctx) => { ctx.tools.t({}).catch(() => {}); return 1; }',
    limits, caller: mallory, executionId: 'c1',
    // A registered tool's run as the tools registry makes it: no caller, its parent named.
    onToolCall: async (_name, _args, tctx) => {
      const o = await engine.execute({ source: 'export default () => { for (;;) {} }', kind: 'module', limits: { ...limits, tools: [], wallTimeoutMs: tctx.timeoutMs }, parentExecutionId: tctx.executionId, executionId: `${tctx.executionId}/tool`, notCounted: true }, tctx.signal);
      return o.returnValue ?? null;
    },
  });
  expect([r.success, r.returnValue]).toEqual([true, 1]);
  await until('the worker spinning the cancelled tool run is replaced', () => exits.length === 1, { seen: () => exits });
  expect(exits[0]!.blamed.map((b) => b.executionId)).toEqual([expect.stringMatching(/^c1#\d+\/tool$/)]);
  // One strike of one allowed: the caller's next execution is refused; another caller is served.
  const refused = await engine.execute({ source: '1 + 1', limits, caller: mallory }).then(() => undefined, (e: unknown) => e as EngineError);
  expect(refused).toBeInstanceOf(EngineError);
  expect([refused!.reason, refused!.resource]).toEqual(['RESOURCE_EXCEEDED', 'worker_replacements']);
  expect((await engine.execute({ source: '1 + 1', limits, caller: { key: 'bob', limit: 10 } })).returnValue).toBe(2);
}, 60_000);
