// A script at the documented limit of tool calls in flight (MAX_TOOLS_IN_FLIGHT = 8) whose calls run
// registered tools (each a run of its own on the caller's worker, parentExecutionId) that wait: those
// tool runs park beside their caller, and must take neither the worker's parking room
// (maxParkedPerWorker) nor, by their memory limits, its room for other callers' executions.
// One worker, so every run shares it. Without the fix, only the tool runs' own wall limit (4 s) freed
// the worker (and the fan-out then ended): the assertions are about order (another caller's run is
// answered while every tool call of the fan-outs still waits), not about time.
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine, ExecutionOutcome, ToolCallback } from '../../src/engine/index.ts';
import { MiB, expectHealthy, run, safeLimits, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 20_000);

/** A registered tool's body: it calls the host tool `hold`, which never answers (until stopped). */
const hangingTool = 'export default async function main(a, ctx) { await ctx.tools.hold({}); return "never"; }';
/** A fan-out: eight calls of the tool at once, the most one execution has at the host. */
const fanOutSource = `export default async function main(a, ctx) {
  const ps = [];
  for (let i = 0; i < 8; i++) ps.push(ctx.tools.hang({}).catch(() => 0));
  await Promise.all(ps);
  return "fan-out done";
}`;

/** Runs fan-outs whose tool runs (memoryBytes each, as the fan-out itself) wait until stopped. */
function harness(e: Engine, memoryBytes: number) {
  let holding = 0;
  const hold: ToolCallback = (_name, _args, info) => {
    holding++;
    return new Promise((_, reject) => info.signal.addEventListener('abort', () => { holding--; reject(new Error('stopped')); }, { once: true }));
  };
  // What the tool registry does for ctx.tools.hang: the tool's script runs on the caller's worker.
  const hang: ToolCallback = async (_name, _args, info) => {
    const o = await e.execute({
      source: hangingTool, kind: 'module', parentExecutionId: info.executionId, notCounted: true, onToolCall: hold,
      limits: { ...safeLimits, memoryBytes, wallTimeoutMs: 4000, tools: ['hold'], toolTimeoutMs: 10_000 },
    }, info.signal);
    if (o.error) throw new Error(o.error.message);
    return o.returnValue;
  };
  const ctl = new AbortController();
  const settled: string[] = [];
  const held: Promise<ExecutionOutcome>[] = [];
  return {
    settled,
    holding: () => holding,
    fanOut(name: string): void {
      held.push(run(e, fanOutSource, { onToolCall: hang, limits: { memoryBytes, tools: ['hang'], toolTimeoutMs: 10_000, wallTimeoutMs: 6000 } as never }, ctl.signal)
        .finally(() => settled.push(name)));
    },
    seen: () => ({ holding, settled, workers: e.workers() }),
    async stop(): Promise<void> {
      ctl.abort();
      await settle(held);
    },
  };
}

async function cleanedUp(e: Engine): Promise<void> {
  expect(e.stats().workerRestarts).toBe(0);
  await until('the stopped tool runs are gone', () => e.workers()[0]!.busy === 0, { seen: () => e.workers() });
  await expectHealthy(e);
}

describe('tool runs parked for a fan-out at the in-flight limit', () => {
  it('leave the worker to other callers, with two such fan-outs on it', async () => {
    engine = await startEngine({ workers: 1 });
    const e = engine;
    const h = harness(e, safeLimits.memoryBytes);
    try {
      h.fanOut('A');
      await until("A's 8 tool runs are on the worker, each waiting on its hold call", () => h.holding() === 8, { seen: h.seen });
      // B fans out the same way, and a plain run comes after it.
      h.fanOut('B');
      expect((await run(e, '1 + 1')).returnValue).toBe(2);
      // Answered while A's tool calls still wait: A (and so its tool runs) did not have to end first.
      expect(h.settled).toEqual([]);
      await until("B's 8 tool runs wait too", () => h.holding() === 16, { seen: h.seen });
      // 18 runs parked on the worker: others are still served, one that parks itself too.
      expect((await run(e, 'new Promise((r) => setTimeout(() => r("slept"), 50))')).returnValue).toBe('slept');
      expect((await run(e, '6 * 7')).returnValue).toBe(42);
      expect(h.settled).toEqual([]);
      expect(h.holding()).toBe(16);
    } finally {
      await h.stop();
    }
    await cleanedUp(e);
  }, 30_000);

  it('leave the worker to other callers when their memory limits alone would fill its budget', async () => {
    // 100 MiB each (Production's limit): the fan-out and its 8 tool runs are 900 MiB of limits,
    // past 3/4 of the 1 GiB RSS budget; counted, the worker would take nothing more.
    engine = await startEngine({ workers: 1, workerRssBudgetBytes: 1024 * MiB });
    const e = engine;
    const h = harness(e, 100 * MiB);
    try {
      h.fanOut('A');
      await until("A's 8 tool runs are on the worker, each waiting on its hold call", () => h.holding() === 8, { seen: h.seen });
      expect((await run(e, '1 + 1', { limits: { memoryBytes: 100 * MiB } as never })).returnValue).toBe(2);
      expect(h.settled).toEqual([]);
      expect(h.holding()).toBe(8);
    } finally {
      await h.stop();
    }
    await cleanedUp(e);
  }, 30_000);
});
