// A script that parked (a timer, a tool call) and then, in the callback that resumed it, ran guest
// code deaf to termination (a BigInt operator on a huge value) was never blamed: the host still took
// it for parked, holding no thread. At its deadline its worker was replaced with nobody named: the
// caller got a retryable WORKER_CRASHED, every neighbour parked there failed without running again,
// and each such call counted toward UNHEALTHY. The worker now says when a parked run's delivery
// starts and ends, so the host knows who holds the thread then.
import { afterEach, expect, it } from 'vitest';
import type { Engine, ExecutionOutcome, WorkerExit } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

const exits: WorkerExit[] = [];
async function start(): Promise<Engine> {
  exits.length = 0;
  // One single-isolate worker: the attack starts once the neighbours before it have parked.
  engine = await startEngine({ workers: 1, hangGraceMs: 500, heartbeatTimeoutMs: 60_000, onWorkerExit: (x) => exits.push(x) });
  return engine;
}

/**
 * Parks on a timer that outlasts the attack (the worker keeps firing the timers of other isolates
 * while one is deaf); says when it ran, so a second run shows in its own stdout alone. 8 s: the
 * deaf worker is replaced once it has had half its grace on the CPU past the attack's limit, which
 * a loaded machine makes later (a 4 s timer fired first there, and nothing was left to run again).
 * The timer ends 8 s after the first run was asked for, so the run again (from scratch, after the
 * replacement) waits out what is left of them, not 8 s more.
 */
const parked = (e: Engine, id: string) => {
  const due = Date.now() + 8000;
  return run(e, `console.log("ran ${id}"); new Promise((r) => setTimeout(() => r("${id} ok"), Math.max(0, ${due} - Date.now())))`, { executionId: id, limits: { wallTimeoutMs: 30_000 } as never });
};

async function expectRerun(neighbours: Promise<ExecutionOutcome>[], ids: string[]): Promise<void> {
  const ns = await Promise.all(neighbours);
  expect(ns.map((n) => [n.returnValue ?? n.error, n.stdout])).toEqual(ids.map((id) => [`${id} ok`, `ran ${id}\n`]));
}

it('a deaf builtin run from a timer callback after the script parked is that script\'s timeout; its neighbours run again', async () => {
  const e = await start();
  const neighbours = [parked(e, 'n1'), parked(e, 'n2')];
  try {
    // Squaring numbers of ~10^7 digits ignores the CPU limit (1 s) far past the host deadline
    // (2 s wall + 0.5 s grace), where the supervisor replaces the worker.
    const attack = await run(e, 'export default async () => { await new Promise((r) => setTimeout(r, 50)); return 3n ** (2n ** 27n) > 0n }', {
      executionId: 'attack', limits: { wallTimeoutMs: 2000, cpuShare: 50 } as never,
    });
    expect(attack.error, JSON.stringify(attack.error ?? attack.returnValue)).toMatchObject({ kind: 'timeout' });
    expect(attack.error!.message).toContain('could not be interrupted');
    await expectRerun(neighbours, ['n1', 'n2']);
    expect(exits).toMatchObject([{ reason: expect.stringMatching(/^hung past an execution deadline \((ran [\d.]+ s of CPU in|answered nothing in) the [\d.]+ s since its time limit/), blamed: [{ executionId: 'attack', kind: 'timeout' }], failed: 0, rerun: 2 }]);
    expect(e.stats().recentWorkerFailures).toBe(0);
  } finally {
    await settle(neighbours);
  }
}, 60_000);

it('a V8 fatal out of memory in the callback of a tool reply is that script\'s memory limit; its neighbours run again', async () => {
  const e = await start();
  const neighbours = [parked(e, 'n1'), parked(e, 'n2')];
  try {
    const attack = await run(e, 'export default async (a, ctx) => { await ctx.tools.mark({}); return "x".repeat(2 ** 28).split("").length }', {
      executionId: 'attack', limits: { tools: ['mark'] } as never, onToolCall: async () => null,
    });
    expect(attack.error, JSON.stringify(attack.error ?? attack.returnValue)).toMatchObject({ kind: 'memory_limit' });
    await expectRerun(neighbours, ['n1', 'n2']);
    expect(exits).toMatchObject([{ blamed: [{ executionId: 'attack', kind: 'memory_limit' }], failed: 0, rerun: 2 }]);
    expect(e.stats().recentWorkerFailures).toBe(0);
  } finally {
    await settle(neighbours);
  }
}, 60_000);
