// One execution holding its worker's thread in a builtin deaf to termination (a BigInt operator on a
// huge value, which the prelude cannot wrap) got the worker replaced at its deadline, and every other
// execution the worker had started, parked on a timer in an isolate of its own, failed with the
// retryable WORKER_CRASHED. With a culprit identified, a neighbour that made no tool call (nothing
// reached outside its isolate) now runs again from scratch, once, within the caller's time.
import { afterEach, expect, it } from 'vitest';
import { EngineError, type Engine, type ExecutionOutcome, type WorkerExit } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

let exits: WorkerExit[] = [];
async function start(): Promise<Engine> {
  // This engine's exits only: the previous test's engine reported a worker's "shut down" after its
  // close() had resolved (on a loaded machine), which landed in a shared list among these.
  const own: WorkerExit[] = [];
  exits = own;
  // One single-isolate worker: the culprit starts only once the neighbours before it have parked.
  engine = await startEngine({ workers: 1, enableTestHooks: true, hangGraceMs: 500, heartbeatTimeoutMs: 60_000, onWorkerExit: (x) => own.push(x) });
  return engine;
}

/** Parks on a timer; says when it ran, so a second run shows as a second line nowhere but its own stdout. */
const parked = (e: Engine, id: string, timerMs: number, wallTimeoutMs: number, extra: object = {}) =>
  run(e, `console.log("ran ${id}"); new Promise((r) => setTimeout(() => r("${id} ok"), ${timerMs}))`, { executionId: id, limits: { wallTimeoutMs } as never, ...extra });

/** Makes a tool call first (a side effect outside its isolate), then parks on a timer. */
const withToolCall = (e: Engine, id: string, calls: string[]) =>
  run(e, `export default async (a, ctx) => { await ctx.tools.mark({}); await new Promise((r) => setTimeout(r, 1500)); return "${id} ok"; }`, {
    executionId: id, limits: { wallTimeoutMs: 20_000, tools: ['mark'] } as never, onToolCall: async () => { calls.push(id); return null; },
  });

/** Holds the worker's thread as guest code deaf to termination does, until the supervisor kills it. */
const hang = (e: Engine, id: string, wallTimeoutMs: number) => run(e, '1', { testHook: 'hang', executionId: id, limits: { wallTimeoutMs } as never });

const reasonOf = (p: Promise<ExecutionOutcome>) => p.then((r) => `resolved ${JSON.stringify(r.returnValue ?? r.error)}`, (x: unknown) => (x instanceof EngineError ? x.reason : String(x)));

it('parked neighbours that made no tool call run again when a deaf BigInt operator of another execution gets their worker replaced', async () => {
  const e = await start();
  const neighbours = [parked(e, 'n1', 1500, 20_000), parked(e, 'n2', 1500, 20_000)];
  try {
    // Squaring numbers of ~10^7 digits: V8's BigInt library ignores the CPU limit (1 s) far past the
    // host deadline (2 s wall + 0.5 s grace), where the supervisor kills the worker.
    const attack = await run(e, '3n ** (2n ** 27n) > 0n', { executionId: 'attack', limits: { wallTimeoutMs: 2000, cpuShare: 50 } as never });
    expect(attack.error, JSON.stringify(attack.error ?? attack.returnValue)).toMatchObject({ kind: 'timeout' });
    expect(attack.error!.message).toContain('could not be interrupted');
    const [n1, n2] = await Promise.all(neighbours);
    for (const [n, id] of [[n1!, 'n1'], [n2!, 'n2']] as const) {
      expect(n.error, JSON.stringify(n.error)).toBeUndefined();
      expect(n.returnValue).toBe(`${id} ok`);
      expect(n.executionId).toBe(id);
      expect(n.stdout).toBe(`ran ${id}\n`); // the second run's output alone
      expect(n.metadata.workerId).toBe('w2'); // the replacement
    }
    expect(exits).toMatchObject([{ reason: expect.stringMatching(/^hung past an execution deadline \((ran [\d.]+ s of CPU in|answered nothing in) the [\d.]+ s since its time limit/), blamed: [{ executionId: 'attack', kind: 'timeout' }], failed: 0, requeued: 0, rerun: 2 }]);
    // The culprit's own breach: the service's health does not count it.
    expect([e.stats().workerRestarts, e.stats().recentWorkerFailures, e.stats().executionsSucceeded]).toEqual([1, 0, 2]);
  } finally {
    await settle(neighbours);
  }
}, 60_000);

it('a neighbour that made a tool call still fails WORKER_CRASHED, one out of time hears its own limit; a blameless one runs again; the culprit gets its limit', async () => {
  const e = await start();
  const calls: string[] = [];
  const tooled = withToolCall(e, 'tooled', calls);
  // 1 s of wall time: gone by the time the hung worker is killed (1.5 s + 0.5 s grace). Parked behind
  // the one holding the thread, it is answered by the host at its own limit (not run again).
  const late = parked(e, 'late', 5000, 1000);
  const blameless = parked(e, 'blameless', 1500, 20_000);
  try {
    const stuck = await hang(e, 'stuck', 1500);
    expect(stuck.error).toMatchObject({ kind: 'timeout' });
    expect(stuck.error!.message).toContain('wall-clock limit of 1500 ms');
    expect(await reasonOf(tooled)).toBe('WORKER_CRASHED');
    expect(calls).toEqual(['tooled']); // made once, never again
    const l = await late;
    expect(l.error, JSON.stringify(l.error)).toMatchObject({ kind: 'timeout', limit: 'wall_clock' });
    expect(l.error!.message).toContain('held by another execution');
    const b = await blameless;
    expect([b.returnValue, b.stdout]).toEqual(['blameless ok', 'ran blameless\n']);
    expect(exits).toMatchObject([{ blamed: [{ executionId: 'stuck', kind: 'timeout' }], failed: 2, requeued: 0, rerun: 1 }]);
  } finally {
    await settle([tooled, late, blameless]);
  }
}, 60_000);

it('a neighbour runs again once at most, within the caller\'s time, and its timeout names its own limit', async () => {
  const e = await start();
  // Never settles: still parked when the second culprit takes the replacement down (cancelled at the
  // end, so a failed assertion does not wait for it).
  const cancelTwice = new AbortController();
  const twice = run(e, 'console.log("ran twice"); new Promise(() => {})', { executionId: 'twice', limits: { wallTimeoutMs: 300_000 } as never }, cancelTwice.signal);
  // Its timer fits its own 10 s, but not what is left of them once the first run has lost at least the
  // culprit's 1 s and its 0.5 s grace to the first worker: run again, it must be stopped first, by the
  // deadline of its first run (a timer the worker sets before the script sets its own, and due
  // earlier), however long the replacement took to start: the 10 s leave that ample time (a worker
  // starts in well under the 8.5 s left; the test waits them out, so more would only be slower).
  const short = run(e, 'new Promise((r) => setTimeout(() => r("in time"), 9_000))', { executionId: 'short', limits: { wallTimeoutMs: 10_000 } as never });
  try {
    expect((await hang(e, 'stuck-1', 1000)).error).toMatchObject({ kind: 'timeout' });
    await until('the neighbours were handed back', () => exits.length === 1);
    expect(exits[0]).toMatchObject({ rerun: 2, failed: 0 });
    const s = await short;
    expect(s.error, JSON.stringify(s.error ?? s.returnValue)).toMatchObject({ kind: 'timeout', limit: 'wall_clock' });
    // What it exceeded is its own 10 s (as the API's ErrorInfo says), not what was left of them.
    expect(s.error!.message).toBe('the script exceeded its wall-clock limit of 10000 ms');
    // Queued behind the one run again, this one hangs the replacement: the neighbour is not run a third time.
    expect((await hang(e, 'stuck-2', 300)).error).toMatchObject({ kind: 'timeout' });
    await until('the replacement was replaced', () => exits.length === 2);
    expect(exits[1]).toMatchObject({ blamed: [{ executionId: 'stuck-2' }], failed: 1, rerun: 0 });
    expect(await reasonOf(twice)).toBe('WORKER_CRASHED');
  } finally {
    cancelTwice.abort();
    await settle([twice, short]);
  }
}, 120_000);

it('a worker dying with no culprit (killed from outside) still fails every execution it had started', async () => {
  const e = await start();
  const n = parked(e, 'n', 3000, 20_000);
  try {
    const w = await until('the neighbour has parked on its worker', () => e.stats().busyIsolates === 1 && e.workers().find((x) => x.busy > 0));
    await new Promise((r) => setTimeout(r, 200));
    process.kill(w.pid!, 'SIGKILL');
    expect(await reasonOf(n)).toBe('WORKER_CRASHED');
    expect(exits).toMatchObject([{ reason: 'exited (SIGKILL)', blamed: [], failed: 1, requeued: 0, rerun: 0 }]);
  } finally {
    await settle([n]);
  }
}, 60_000);
