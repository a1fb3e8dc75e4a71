// Sending ahead: with every worker busy, a single-isolate worker may hold up to two executions queued
// behind a short one of the same caller. These tests pin what must hold whatever the timing: every caller
// gets its own result, no caller waits behind another's execution, a cancelled one fails at once and
// never runs, and one queued on a worker that dies runs elsewhere instead of failing.
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError, type Engine, type ExecutionOutcome } from '../../src/engine/index.ts';
import { expectHealthy, run, startEngine } from './helpers.ts';

let engine: Engine | undefined;
// "Short" is generous here so that a loaded test machine cannot change what is sent ahead; the
// 5 ms default is a heuristic, not what these tests are about (an unknown script is never short).
const start = (opts: Parameters<typeof startEngine>[0] = {}) => startEngine({ sendAheadExpectedMs: 10_000, ...opts });
afterEach(async () => { await engine?.close(); engine = undefined; }, 20_000);

// Usually short; `spin` ms of synchronous work when asked (guest code holding the worker's thread).
const SCRIPT = 'export default async function main(a) { if (a.spin) { const end = Date.now() + a.spin; while (Date.now() < end) {} } return a.id; }';
const caller = { key: 'carol', limit: 100 };
const call = (e: Engine, id: string, spin = 0, signal?: AbortSignal) =>
  run(e, SCRIPT, { arguments: { id, spin }, cacheKey: 'send-ahead', caller, limits: { wallTimeoutMs: 10_000 } as never }, signal);

/** A few short runs, so the engine expects this script to be short (only then does it send ahead). */
async function warm(e: Engine): Promise<void> {
  for (let i = 0; i < 5; i++) expect((await call(e, `w${i}`)).returnValue).toBe(`w${i}`);
}

describe('sending ahead', () => {
  it('keeps one worker fed with many concurrent callers, each getting its own result', async () => {
    engine = await start({ workers: 1 });
    await warm(engine);
    const ids = Array.from({ length: 40 }, (_, i) => `c${i}`);
    const results = await Promise.all(ids.map((id) => call(engine!, id)));
    expect(results.map((r) => r.returnValue)).toEqual(ids);
    expect(results.every((r) => r.success)).toBe(true);
    expect(engine.stats().sentAhead).toBeGreaterThan(0);
    expect(engine.stats().executionsSucceeded).toBe(45);
  }, 20_000);

  it('holds at most two behind the running one; the rest wait in the engine queue', async () => {
    engine = await start({ workers: 1 });
    await warm(engine);
    const calls = ['r', 'q1', 'q2', 'w1', 'w2'].map((id) => call(engine!, id));
    expect(engine.stats().sentAhead).toBe(2);
    expect(engine.stats().queueLength).toBe(2);
    expect((await Promise.all(calls)).map((r) => r.returnValue)).toEqual(['r', 'q1', 'q2', 'w1', 'w2']);
  }, 20_000);

  it("never queues one caller's execution behind another caller's: it waits for a free worker", async () => {
    engine = await start({ workers: 1 });
    await warm(engine);
    const alice = { key: 'alice', limit: 10 };
    const bob = { key: 'bob', limit: 10 };
    const as = (caller: typeof alice, id: string, spin = 0) =>
      run(engine!, SCRIPT, { arguments: { id, spin }, cacheKey: 'send-ahead', caller, limits: { wallTimeoutMs: 10_000 } as never });
    const first = as(alice, 'alice-1', 300);
    const other = as(bob, 'bob-1');
    expect(engine.stats().sentAhead).toBe(0);
    expect(engine.stats().queueLength).toBe(1);
    const same = as(alice, 'alice-2');
    expect(engine.stats().sentAhead).toBe(0); // FIFO: alice-2 is behind bob-1 in the queue
    expect((await Promise.all([first, other, same])).map((r) => r.returnValue)).toEqual(['alice-1', 'bob-1', 'alice-2']);
  }, 20_000);

  it('sends nothing ahead behind a script it does not know to be short, without a caller, nor when switched off', async () => {
    engine = await start({ workers: 1 });
    const unknown = await Promise.all([call(engine, 'a'), call(engine, 'b')]);
    expect(unknown.map((r) => r.returnValue)).toEqual(['a', 'b']);
    expect(engine.stats().sentAhead).toBe(0);
    await warm(engine);
    const internal = (id: string) => run(engine!, SCRIPT, { arguments: { id }, cacheKey: 'send-ahead' });
    expect((await Promise.all([internal('i'), internal('j')])).map((r) => r.returnValue)).toEqual(['i', 'j']);
    expect(engine.stats().sentAhead).toBe(0);
    await engine.close();
    engine = await start({ workers: 1, sendAhead: false });
    await warm(engine);
    const off = await Promise.all(['x', 'y', 'z'].map((id) => call(engine!, id)));
    expect(off.map((r) => r.returnValue)).toEqual(['x', 'y', 'z']);
    expect(engine.stats().sentAhead).toBe(0);
  }, 20_000);

  it('a cancelled execution still queued in a worker fails at once with CANCELLED and never runs', async () => {
    engine = await start({ workers: 1 });
    // Each run reports its id through a tool before returning: what reaches `ran` has run.
    const ran: string[] = [];
    const source = 'export default async function main(a, ctx) { if (a.spin) { const end = Date.now() + a.spin; while (Date.now() < end) {} } await ctx.tools.call("report", a.id); return a.id; }';
    const reporting = (id: string, spin = 0, signal?: AbortSignal) =>
      run(engine!, source, {
        arguments: { id, spin }, cacheKey: 'send-ahead-report', caller, limits: { wallTimeoutMs: 10_000, tools: ['report'] } as never,
        onToolCall: async (_name, args) => { ran.push(String(args)); return null; },
      }, signal);
    for (let i = 0; i < 5; i++) await reporting(`w${i}`);
    const long = reporting('long', 800);
    const ctl = new AbortController();
    const queued = reporting('queued', 0, ctl.signal);
    expect(engine.stats().sentAhead).toBe(1);
    setTimeout(() => ctl.abort(), 100);
    const err = await queued.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).reason).toBe('CANCELLED');
    let longDone = false;
    void long.then(() => { longDone = true; });
    await new Promise((r) => setImmediate(r));
    expect(longDone).toBe(false); // the cancel did not wait for the execution in front
    expect((await long).returnValue).toBe('long');
    expect((await reporting('after')).returnValue).toBe('after');
    expect(ran).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'long', 'after']);
    await expectHealthy(engine);
  }, 20_000);

  it('an execution queued on a worker that dies is handed back and runs elsewhere', async () => {
    engine = await start({ workers: 2 });
    await warm(engine);
    const first = call(engine, 'first', 3000);
    const second = call(engine, 'second', 3000);
    const queued = call(engine, 'queued');
    expect(engine.stats().sentAhead).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    const victim = engine.workers().find((w) => w.busy === 2)!;
    expect(victim).toBeDefined();
    process.kill(victim.pid!, 'SIGKILL');
    const outcomes = await Promise.allSettled([first, second]);
    // The one the victim was running fails (retryable); the one it only held runs on another worker.
    const crashed = outcomes.filter((o) => o.status === 'rejected');
    expect(crashed).toHaveLength(1);
    expect(((crashed[0] as PromiseRejectedResult).reason as EngineError).reason).toBe('WORKER_CRASHED');
    const r = await queued;
    expect(r.success).toBe(true);
    expect(r.returnValue).toBe('queued');
    expect(r.metadata.workerId).not.toBe(victim.workerId);
    expect(engine.stats().handedBack).toBe(1);
  }, 20_000);

  it('executions handed back by a dead worker keep their order', async () => {
    engine = await start({ workers: 1 });
    await warm(engine);
    const order: string[] = [];
    const first = call(engine, 'first', 3000);
    const queued = ['q1', 'q2'].map((id) => call(engine!, id).then((r) => { order.push(String(r.returnValue)); return r; }));
    expect(engine.stats().sentAhead).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(engine.workers()[0]!.pid!, 'SIGKILL');
    expect(((await first.catch((e: unknown) => e)) as EngineError).reason).toBe('WORKER_CRASHED');
    await Promise.all(queued);
    expect(order).toEqual(['q1', 'q2']);
    expect(engine.stats().handedBack).toBe(2);
  }, 20_000);
});
