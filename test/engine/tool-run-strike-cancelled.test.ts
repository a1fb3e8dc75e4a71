// A registered tool's run that outlives the execution that made it (its caller cancelled while the
// tool run holds the worker's thread, deaf to termination) and takes its worker down is a strike
// against that caller all the same. (A tool run its caller left before the worker began it is
// dropped unbegun: it takes nothing down; see tool-run-not-begun.test.ts.)
import { afterEach, expect, it } from 'vitest';
import type { Engine, WorkerExit } from '../../src/engine/index.ts';
import { EngineError } from '../../src/engine/index.ts';
import { safeLimits, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close({ now: true }); engine = undefined; }, 20_000);

it("a begun tool run that outlives its cancelled caller and takes its worker down is that caller's strike", async () => {
  const exits: WorkerExit[] = [];
  const e = engine = await startEngine({ workers: 1, enableTestHooks: true, maxWorkerKillsPerCaller: 1, hangGraceMs: 500, onWorkerExit: (x) => exits.push(x) });
  const limits = { ...safeLimits, tools: ['t'] };
  const mallory = { key: 'mallory', limit: 10 };
  const cancel = new AbortController();
  const run = e.execute({
    source: 'export default async (a, ctx) => ctx.tools.t({})',
    limits, caller: mallory, executionId: 'c1',
    // A registered tool's run as the tools registry makes it; it spins deaf to termination (test hook).
    onToolCall: async (_name, _args, tctx) => {
      const o = await e.execute({ source: '1', limits: { ...limits, tools: [], wallTimeoutMs: tctx.timeoutMs }, testHook: 'hang', parentExecutionId: tctx.executionId, executionId: `${tctx.executionId}/tool`, notCounted: true }, tctx.signal);
      return o.returnValue ?? null;
    },
  }, cancel.signal);
  await until('the tool run has begun', () => e.stats().busyIsolates === 2, { seen: () => e.stats() });
  cancel.abort();
  const r = await run;
  expect(r.error?.kind).toBe('cancelled');
  await until('the worker spinning the tool run is replaced', () => exits.length === 1, { seen: () => exits });
  expect(exits[0]!.blamed.some((b) => /^c1#\d+\/tool$/.test(b.executionId))).toBe(true);
  // One strike of one allowed: the caller's next execution is refused; another caller is served.
  const refused = await e.execute({ source: '1 + 1', limits, caller: mallory }).then(() => undefined, (err: unknown) => err as EngineError);
  expect(refused).toBeInstanceOf(EngineError);
  expect([refused!.reason, refused!.resource]).toEqual(['RESOURCE_EXCEEDED', 'worker_replacements']);
  expect((await e.execute({ source: '1 + 1', limits, caller: { key: 'bob', limit: 10 } })).returnValue).toBe(2);
}, 60_000);
