import { afterEach, describe, expect, it } from 'vitest';
import { EngineError, type Engine, type WorkerExit } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
// Generous hang guards: each test spawns worker processes, slow on a loaded machine.
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

const slow = 'new Promise((r) => setTimeout(() => r("late"), 2500))';
const reasonOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof EngineError ? e.reason : String(e)));

/** The worker running the engine's one execution, once it has started there (not merely queued). */
const busyWorker = (e: Engine) =>
  until('the execution has started on a worker', () => e.stats().busyIsolates === 1 && e.workers().find((w) => w.busy > 0), { seen: () => ({ stats: e.stats(), workers: e.workers() }) });

async function nextSucceeds(e: Engine): Promise<void> {
  const r = await run(e, '6 * 7');
  expect(r.success, JSON.stringify(r.error)).toBe(true);
  expect(r.returnValue).toBe(42);
}

describe('worker supervision', () => {
  it('a native crash (SIGSEGV) fails the in-flight execution with WORKER_CRASHED, and the worker is replaced', async () => {
    engine = await startEngine({ workers: 2 });
    const e = engine;
    const inflight = run(e, slow);
    try {
      const victim = await busyWorker(e);
      const other = e.workers().find((w) => w.workerId !== victim.workerId)!;
      process.kill(victim.pid!, 'SIGSEGV');
      const err = await inflight.catch((x: unknown) => x as EngineError);
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).reason).toBe('WORKER_CRASHED');
      expect((err as EngineError).retryable).toBe(true);
      await nextSucceeds(e);
      await until('the crashed worker is replaced', () => e.workers().length === 2 && !e.workers().some((w) => w.pid === victim.pid), { seen: () => e.workers() });
      expect(e.stats().workerRestarts).toBe(1);
      expect(e.workers().map((w) => w.pid), JSON.stringify({ victim, other, now: e.workers() })).toContain(other.pid);
      expect(e.workers().map((w) => w.pid)).not.toContain(victim.pid);
      expect(e.workers()).toHaveLength(2);
    } finally {
      await settle([inflight]);
    }
  }, 60_000);

  it('process.abort() inside a worker (test hook) is survived too', async () => {
    engine = await startEngine({ workers: 1, enableTestHooks: true });
    expect(await reasonOf(run(engine, '1', { testHook: 'abort' }))).toBe('WORKER_CRASHED');
    await nextSucceeds(engine);
  }, 60_000);

  it('a hung worker (SIGSTOP) is killed after its heartbeat stops; others keep serving', async () => {
    // The stopped worker holds an execution, so that execution's deadline is what finds it (the
    // heartbeat covers idle workers). The default heartbeat timeout, not 1 s: on a loaded machine a
    // healthy idle worker missed 1 s of heartbeats and was replaced too, leaving only the stopped one.
    // A stopped worker is found at the execution's deadline (wall + hang grace) plus the heartbeat timeout,
    // all waited out: a 6 s wall (the script, were it not stopped, would end in 2.5 s) and a 0.5 s grace.
    engine = await startEngine({ workers: 2, heartbeatTimeoutMs: 5000, hangGraceMs: 500 });
    const e = engine;
    // Stopped while parked on its timer (holding no thread), the execution is lost with its worker;
    // stopped mid-script it would be blamed as over its own time limit instead. Its tool call, made
    // after its first timer, tells the test it got there (a fixed sleep did not, on a slow machine).
    let marked = false;
    const inflight = run(e, 'export default async (a, ctx) => { await new Promise((r) => setTimeout(r, 20)); await ctx.tools.mark({}); return new Promise((r) => setTimeout(() => r("late"), 2500)); }', {
      limits: { wallTimeoutMs: 6000, tools: ['mark'] } as never,
      onToolCall: async () => { marked = true; return null; },
    });
    try {
      await until('the execution is parked on its timer (its tool call came)', () => marked);
      const victim = e.workers().find((w) => w.busy > 0)!;
      process.kill(victim.pid!, 'SIGSTOP');
      await nextSucceeds(e); // served by the other worker meanwhile
      // Stopped while parked, the execution is lost with its worker (WORKER_CRASHED). The tool reply
      // starts a delivery, and a stop that lands before the worker has told the host the script is
      // parked again (a loaded machine: CI saw it) finds the script holding its thread, so it is
      // blamed as over its time (a timeout result). Either way never "late": it did not go on.
      const outcome = await inflight.then((r) => (r.success ? 'succeeded' : r.error?.kind), (x: unknown) => (x instanceof EngineError ? x.reason : String(x)));
      expect(['WORKER_CRASHED', 'timeout']).toContain(outcome);
      await nextSucceeds(e);
      expect(e.stats().workerRestarts).toBe(1);
    } finally {
      await settle([inflight]);
    }
  }, 60_000);

  it('a worker whose event loop hangs (test hook) is killed past the execution deadline: that execution timed out', async () => {
    engine = await startEngine({ workers: 1, enableTestHooks: true, heartbeatTimeoutMs: 60_000, hangGraceMs: 500 });
    const r = await run(engine, '1', { testHook: 'hang', limits: { wallTimeoutMs: 500 } as never });
    expect(r.error).toMatchObject({ kind: 'timeout', name: 'TimeoutError' });
    expect(r.error!.message).toContain('could not be interrupted');
    await nextSucceeds(engine);
    expect(engine.stats().workerRestarts).toBe(1);
  }, 60_000);

  it('the execution holding a hung worker times out; a neighbour waiting in that worker that made a tool call fails retryable', async () => {
    const exits: WorkerExit[] = [];
    engine = await startEngine({ workers: 1, enableTestHooks: true, heartbeatTimeoutMs: 60_000, hangGraceMs: 500, onWorkerExit: (x) => exits.push(x) });
    const e = engine;
    // Its tool call reached outside its isolate, so it is not run again (rerun-neighbours.test.ts).
    const neighbour = run(e, 'export default async (a, ctx) => { await ctx.tools.mark({}); await new Promise((r) => setTimeout(r, 4000)); return "done"; }', {
      limits: { wallTimeoutMs: 10_000, tools: ['mark'] } as never, onToolCall: async () => null,
    });
    await busyWorker(e); // started, then parked on its timer
    // As guest code stuck in a builtin that is deaf to termination would: the worker's thread never comes back.
    const stuck = await run(e, '1', { testHook: 'hang', executionId: 'stuck-1', limits: { wallTimeoutMs: 300 } as never });
    expect(stuck.error).toMatchObject({ kind: 'timeout' });
    expect(stuck.error!.message).toContain('wall-clock limit of 300 ms');
    const n = await neighbour.catch((x: unknown) => x as EngineError);
    expect(n).toBeInstanceOf(EngineError);
    expect([(n as EngineError).reason, (n as EngineError).retryable]).toEqual(['WORKER_CRASHED', true]);
    // What the operator's log is told: why, who did it, who else was hit.
    expect(exits).toMatchObject([{ reason: expect.stringMatching(/^hung past an execution deadline \((ran [\d.]+ s of CPU in|answered nothing in) the [\d.]+ s since its time limit/), blamed: [{ executionId: 'stuck-1', kind: 'timeout' }], failed: 1, requeued: 0, rerun: 0 }]);
    // The script's own breach, not the service's failure: health does not count it.
    expect([e.stats().workerRestarts, e.stats().recentWorkerFailures]).toEqual([1, 0]);
    await nextSucceeds(e);
  }, 60_000);

  it('a worker that runs out of memory (test hook: V8 aborts the process) fails the running execution with memory_limit', async () => {
    engine = await startEngine({ workers: 1, enableTestHooks: true, workerMaxOldSpaceMb: 64 });
    const r = await run(engine, '1', { testHook: 'oom' });
    expect(r.error).toMatchObject({ kind: 'memory_limit', name: 'MemoryLimitError' });
    expect(r.error!.message).toContain('ran out of memory');
    await nextSucceeds(engine);
    expect(engine.stats().workerRestarts).toBe(1);
  }, 60_000);
});

describe('isolate recycling', () => {
  it('replaces an isolate after recycle_after executions and after a limit hit; each result names the isolate it ran on', async () => {
    engine = await startEngine({ workers: 1, recycleAfterExecutions: 3 });
    const e = engine;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await run(e, String(i))).metadata.isolateId);
    const generation = (id: string) => Number(id.split('#')[1]);
    expect(ids.map(generation)).toEqual([1, 1, 1, 2, 2, 2, 3]);
    const timedOut = await run(e, 'for (;;) {}', { limits: { wallTimeoutMs: 200 } as never });
    expect(timedOut.error!.kind).toBe('timeout');
    expect(generation(timedOut.metadata.isolateId)).toBe(3);
    const after = await run(e, '"fresh"');
    expect(after.returnValue).toBe('fresh');
    expect(generation(after.metadata.isolateId)).toBe(4);
  });
});

describe('memory limits and isolate reuse', () => {
  const safe = { memoryBytes: 40 * 1048576 };
  const production = { memoryBytes: 80 * 1048576 };

  it('keeps Safe and Production callers on isolates of their own memory limit instead of remaking isolates', async () => {
    engine = await startEngine({ workers: 2 });
    const e = engine;
    const isolates = new Set<string>();
    await Promise.all([safe, safe, production, production].map(async (limits, c) => {
      for (let i = 0; i < 30; i++) {
        const r = await run(e, '6 * 7', { limits: limits as never, caller: { key: `caller-${c}`, limit: 10 } as never });
        expect(r.returnValue).toBe(42);
        isolates.add(`${r.metadata.workerId}/${r.metadata.isolateId}`);
      }
    }));
    // Choosing workers blindly remade an isolate for about half of these 120 executions (~60). A
    // free worker still takes a job of the other limit rather than idle, so how many are made
    // depends on timing: 4-8 of 60 alone, 10 with the whole suite running alongside, 20 with other
    // servers loading the machine besides: a bound at half the blind count.
    expect(isolates.size).toBeLessThanOrEqual(30);
  });

  it('a job whose memory limit fits no free isolate is passed over a bounded number of times', async () => {
    engine = await startEngine({ workers: 1, maxParkedPerWorker: 0 });
    const e = engine;
    await run(e, '0', { limits: safe as never }); // the worker's isolate now has Safe's limit
    const order: string[] = [];
    const busy = run(e, 'new Promise((r) => setTimeout(r, 300))', { limits: safe as never });
    await busyWorker(e); // the rest wait behind it
    const jobs = [run(e, '"P"', { limits: production as never }).then((r) => order.push(r.returnValue as string))];
    for (let i = 0; i < 8; i++) jobs.push(run(e, `"S${i}"`, { limits: safe as never }).then((r) => order.push(r.returnValue as string)));
    await Promise.all([busy, ...jobs]);
    expect(order.slice(0, 4)).toEqual(['S0', 'S1', 'S2', 'S3']); // fitting jobs went first...
    expect(order[4]).toBe('P'); // ...until the head had been passed over four times
    expect(order.slice(5)).toEqual(['S4', 'S5', 'S6', 'S7']);
  });
});

describe('room for each script', () => {
  it('an isolate is not retired for the garbage earlier contexts leave in its heap', async () => {
    engine = await startEngine({ workers: 1 });
    const ids = new Set<string>();
    // Each run leaves ~0.5 MB: the heap climbs past 40 % of the limit before V8 collects it.
    for (let i = 0; i < 150; i++) {
      const r = await run(engine, 'const a = []; for (let i = 0; i < 3000; i++) a.push({ i, s: "x" + i }); a.length', { limits: { memoryBytes: 50 * 1048576 } as never });
      expect(r.returnValue).toBe(3000);
      ids.add(r.metadata.isolateId);
    }
    expect([...ids]).toHaveLength(1);
  });

  it('a script gets its memory after many big scripts ran on the same isolate', async () => {
    engine = await startEngine({ workers: 1 });
    const e = engine;
    const limits = { memoryBytes: 50 * 1048576, wallTimeoutMs: 10_000 };
    // What an isolate keeps of each distinct big script (V8's compilation cache, ~2 MB per 1 MB
    // script) once filled most of a Safe isolate, and a script needing half its limit failed.
    const big = (i: number) => {
      let s = `const table = [];\n`;
      for (let k = 0; s.length < 900 * 1024; k++) s += `function f${k}(x) { let a = ${k + i}; for (let j = 0; j < x; j++) a = (a * 31 + j) % 1000003; return a; }\ntable.push(f${k});\n`;
      return `${s}export default function main() { let t = 0; for (let j = 0; j < table.length; j += 97) t += table[j](3); return t > 0; }\n`;
    };
    for (let i = 0; i < 64; i++) expect((await run(e, big(i), { limits: limits as never })).returnValue).toBe(true);
    const r = await run(e, 'new Array(3e6).fill(1.5).length', { limits: limits as never }); // 24 MB of doubles
    expect(r.error).toBeUndefined();
    expect(r.returnValue).toBe(3e6);
  }, 60_000);
});

describe('queue, limits, cancellation', () => {
  it('accepts exactly maxQueue waiting executions, then QUEUE_FULL with retryAfterMs', async () => {
    // A script waiting on a timer holds its worker only when nothing may park there.
    engine = await startEngine({ workers: 1, maxQueue: 2, maxParkedPerWorker: 0 });
    const e = engine;
    const ctl = new AbortController();
    const running = run(e, slow, {}, ctl.signal);
    const queued: Promise<string>[] = [];
    try {
      // The two below must queue behind a running execution, not beside one still queued.
      await busyWorker(e);
      queued.push(reasonOf(run(e, '1', {}, ctl.signal)), reasonOf(run(e, '2', {}, ctl.signal)));
      expect(e.stats().queueLength).toBe(2);
      const full = await run(e, '3').catch((x: unknown) => x as EngineError);
      expect(full).toBeInstanceOf(EngineError);
      expect((full as EngineError).reason).toBe('QUEUE_FULL');
      expect((full as EngineError).retryAfterMs).toBeGreaterThan(0);
      ctl.abort();
      const r = await running;
      expect(r.success).toBe(false);
      expect(r.error!.kind).toBe('cancelled');
      expect(await queued[0]).toBe('CANCELLED');
      expect(await queued[1]).toBe('CANCELLED');
      expect(e.stats().queueLength).toBe(0);
      await nextSucceeds(e);
    } finally {
      ctl.abort();
      await settle([running, ...queued]);
    }
  }, 60_000);

  it('queued executions run in order once an isolate frees up', async () => {
    engine = await startEngine({ workers: 1, maxQueue: 10 });
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => run(engine!, `${i} * 10`)));
    expect(results.map((r) => r.returnValue)).toEqual([10, 20, 30, 40, 50]);
    expect(results[4]!.metadata.queueWaitMs).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('enforces a per-caller concurrency limit', async () => {
    engine = await startEngine({ workers: 2 });
    const caller = { key: 'alice', limit: 1 };
    const first = run(engine, slow, { caller });
    const second = await run(engine, '1', { caller }).catch((x: unknown) => x as EngineError);
    expect((second as EngineError).reason).toBe('RESOURCE_EXCEEDED');
    expect((second as EngineError).limit).toBe(1);
    expect((await run(engine, '1', { caller: { key: 'bob', limit: 1 } })).success).toBe(true);
    expect((await first).success).toBe(true);
    expect((await run(engine, '1', { caller })).success).toBe(true);
  }, 60_000);

  it('an already-aborted signal is refused; a stopped engine says ENGINE_STOPPED', async () => {
    engine = await startEngine({ workers: 1 });
    const ctl = new AbortController();
    ctl.abort();
    expect(await reasonOf(run(engine, '1', {}, ctl.signal))).toBe('CANCELLED');
    await engine.close();
    expect(await reasonOf(run(engine, '1'))).toBe('ENGINE_STOPPED');
    await expect(engine.compile('1')).rejects.toMatchObject({ reason: 'ENGINE_STOPPED' });
  }, 60_000);

  it('enforces the CPU share as a CPU-time budget', async () => {
    engine = await startEngine({ workers: 1 });
    // A 500 ms CPU budget (5 % of 10 s), as before at 25 % of 2 s, but the loop no longer needs a
    // quarter of a core to reach it before the wall clock: on a loaded machine it got less, and the
    // wall limit stopped it. It must still stop at the budget, long before the wall limit.
    const r = await run(engine, 'while (true) {}', { limits: { wallTimeoutMs: 10_000, cpuShare: 5 } as never });
    expect(r.error!.kind).toBe('timeout');
    expect(r.error!.message).toMatch(/CPU/);
    expect(r.executionTimeMs).toBeLessThan(5000);
  }, 60_000);
});
