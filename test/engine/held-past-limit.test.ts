// A script parked on a single-isolate worker (awaiting a timer) while another caller's registered
// tool run spins on that worker's one thread: the worker runs guest code synchronously and reads
// nothing meanwhile, so it cannot tell the script of its own time limit. It was told only when the
// tool run let go (seconds past its limit: a 3 s limit, told at 5.1 s). The host now answers it at
// its limit, with a TIMEOUT saying why, and the worker drops it once free; the hung-worker watchdog
// does not take the script's wait for the worker's hanging, however the tool run came to start.
import { afterEach, expect, it } from 'vitest';
import type { Engine, ExecutionOutcome, ToolCallback } from '../../src/engine/index.ts';
import { expectHealthy, safeLimits, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close({ now: true }); engine = undefined; }, 20_000);

const HELD_MESSAGE = (ms: number) => `the script exceeded its wall-clock limit of ${ms} ms (its worker's thread was held by another execution when its time ran out; its output could not be collected)`;

/**
 * One worker; bob's script calls tool t, whose registered tool's run (as the tools registry makes it)
 * spins to its own 8 s limit once `openGate()` is called; bob catches the tool's failure.
 */
async function bobWithSpinningTool() {
  const exits: { reason: string }[] = [];
  const e = engine = await startEngine({ workers: 1, onWorkerExit: (x) => exits.push(x) });
  let openGate!: () => void;
  const gate = new Promise<void>((r) => { openGate = r; });
  const tool = { ended: false };
  const spinningTool: ToolCallback = async (_name, _args, tctx) => {
    await gate;
    try {
      const o = await e.execute({
        source: 'export default () => { for (;;) {} }', kind: 'module',
        limits: { ...safeLimits, tools: [], wallTimeoutMs: 8000 },
        parentExecutionId: tctx.executionId, executionId: `${tctx.executionId}/tool`, notCounted: true,
      }, tctx.signal);
      if (o.error) throw new Error(o.error.message);
      return o.returnValue ?? null;
    } finally {
      tool.ended = true;
    }
  };
  const bob = e.execute({
    source: 'export default async (a, ctx) => { try { return await ctx.tools.t({}); } catch (err) { return "tool stopped: " + err.message; } }',
    limits: { ...safeLimits, tools: ['t'], wallTimeoutMs: 20_000 }, caller: { key: 'bob', limit: 10 },
    onToolCall: spinningTool,
  });
  bob.catch(() => {});
  await until('bob waits on its tool call', () => e.stats().parkedExecutions === 1, { seen: () => e.stats() });
  return { e, exits, openGate, tool, bob };
}

/** Alice was answered by the host while the tool run still spun; then all ends well on the same worker. */
async function expectAnsweredWhileHeld(s: Awaited<ReturnType<typeof bobWithSpinningTool>>, alice: Promise<ExecutionOutcome>, limitMs: number, failedBefore: number) {
  const { e, exits, tool, bob } = s;
  const a = await alice;
  // Answered while the tool run still spins, its place in the worker kept until the worker answers.
  expect(tool.ended).toBe(false);
  expect(e.stats().busyIsolates).toBe(3);
  expect(a.success).toBe(false);
  expect(a.error).toMatchObject({ kind: 'timeout', name: 'TimeoutError', limit: 'wall_clock' });
  expect(a.error?.message).toBe(HELD_MESSAGE(limitMs));
  expect(e.stats().executionsFailed).toBe(failedBefore + 1);

  // The tool run ends at its own limit; bob catches that, and the worker drops alice once free.
  const b = await bob;
  expect(b.error, JSON.stringify(b.error)).toBeUndefined();
  expect(b.returnValue).toMatch(/^tool stopped: .*wall-clock limit of 8000 ms/);
  await until('the worker answered alice too', () => e.stats().busyIsolates === 0, { seen: () => e.stats() });
  // The same worker, not replaced, runs the next execution; alice's late answer counted nothing more.
  expect(exits).toEqual([]);
  expect(e.stats().executionsFailed).toBe(failedBefore + 1);
  await expectHealthy(e);
  expect(exits).toEqual([]);
  expect(e.workers().map((w) => w.workerId)).toEqual(['w1']);
}

it('a parked script whose worker\'s thread another caller\'s tool run holds is answered at its own time limit', async () => {
  const s = await bobWithSpinningTool();
  const { e } = s;
  // Only its time limit ends it: the timer is far past it.
  const alice = e.execute({
    source: 'export default async () => { await new Promise((r) => setTimeout(r, 60_000)); return "woke"; }',
    limits: { ...safeLimits, wallTimeoutMs: 2000 }, caller: { key: 'alice', limit: 10 },
  });
  await until('alice is parked on her timer', () => e.stats().parkedExecutions === 2, { seen: () => e.stats() });
  const failedBefore = e.stats().executionsFailed;
  s.openGate();
  await until('the tool run holds the worker', () => e.stats().busyIsolates === 3, { seen: () => e.stats() });
  await expectAnsweredWhileHeld(s, alice, 2000, failedBefore);
}, 60_000);

it('a tool run sent while the script still ran (before it parked) neither delays its answer nor gets the worker taken for hung', async () => {
  const s = await bobWithSpinningTool();
  const { e } = s;
  let openedAt: { parked: number } | undefined;
  // Alice, running, calls ping without waiting for it, then holds the thread for a second before she
  // parks: the tool run is sent to the worker meanwhile (ping opens the gate) and starts there once
  // she has parked, so her deadline was not moved for it as a parked one's is.
  const alice = e.execute({
    source: 'export default async (a, ctx) => { ctx.tools.ping({}); const t = Date.now(); while (Date.now() - t < 1000) {} await new Promise((r) => setTimeout(r, 60_000)); return "woke"; }',
    limits: { ...safeLimits, tools: ['ping'], wallTimeoutMs: 3000 }, caller: { key: 'alice', limit: 10 },
    onToolCall: async () => { openedAt = { parked: e.stats().parkedExecutions }; s.openGate(); return null; },
  });
  await until('alice called ping', () => openedAt);
  const failedBefore = e.stats().executionsFailed;
  // Not vacuous: she had not parked yet when the gate opened.
  expect(openedAt).toEqual({ parked: 1 });
  await until('the tool run is sent', () => e.stats().busyIsolates === 3, { seen: () => e.stats() });
  await expectAnsweredWhileHeld(s, alice, 3000, failedBefore);
}, 60_000);
