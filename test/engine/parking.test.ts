// Executions waiting on the host (tools, timers) park: they keep an isolate of their own but not
// their worker, which runs others meanwhile, up to maxParkedPerWorker.
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine, ToolCallback } from '../../src/engine/index.ts';
import { expectHealthy, run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 20_000);

const waiting = 'export default async function main(a, ctx) { return await ctx.tools.gate(a.n); }';
const limits = { tools: ['gate'], toolTimeoutMs: 5000, wallTimeoutMs: 10_000 } as never;

/** A tool whose calls all wait until `needed` of them are in flight at once; it records the most seen. */
function gate(needed: number): { onToolCall: ToolCallback; maxInFlight: () => number } {
  let inFlight = 0;
  let most = 0;
  let open: () => void;
  const opened = new Promise<void>((r) => { open = r; });
  return {
    maxInFlight: () => most,
    onToolCall: async (_name, args, info) => {
      inFlight++;
      most = Math.max(most, inFlight);
      if (inFlight >= needed) open();
      try {
        await Promise.race([opened, new Promise((_, reject) => info.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }))]);
      } finally {
        inFlight--;
      }
      return args;
    },
  };
}

describe('parking', () => {
  it('executions waiting on a tool do not hold their worker: the others start, and a plain one runs meanwhile', async () => {
    engine = await startEngine({ workers: 1 });
    const g = gate(4); // opens only once all four wait at the same time: on one held worker, never
    const waits = [1, 2, 3, 4].map((n) => run(engine!, waiting, { arguments: { n }, limits, onToolCall: g.onToolCall }));
    const plain = await run(engine, '6 * 7');
    expect(plain.returnValue).toBe(42);
    const results = await Promise.all(waits);
    expect(results.map((r) => r.returnValue)).toEqual([1, 2, 3, 4]);
    expect(g.maxInFlight()).toBe(4);
    await expectHealthy(engine);
  });

  it('a parked execution that is cancelled stops; the others in its worker carry on', async () => {
    engine = await startEngine({ workers: 1 });
    const g = gate(2);
    const ctl = new AbortController();
    const cancelled = run(engine, waiting, { arguments: { n: 1 }, limits, onToolCall: g.onToolCall }, ctl.signal);
    const other = run(engine, 'new Promise((r) => setTimeout(() => r("other"), 400))');
    try {
      // Parked on its tool call (cancelled while still queued it would be refused, not stopped).
      await until('the execution waits on its tool', () => g.maxInFlight() === 1);
      ctl.abort();
      const r = await cancelled;
      expect(r.error?.kind).toBe('cancelled');
      expect((await other).returnValue).toBe('other');
      expect((await run(engine, waiting, { arguments: { n: 2 }, limits, onToolCall: gate(1).onToolCall })).returnValue).toBe(2);
    } finally {
      ctl.abort();
      await settle([cancelled, other]);
    }
  });

  it('extra isolates made for parked executions go away once idle', async () => {
    // Idle slots live 4 s: a heartbeat (every 500 ms) late on a loaded machine still reports all three.
    engine = await startEngine({ workers: 1, idleSlotMs: 4000 });
    const g = gate(3);
    const results = await Promise.all([1, 2, 3].map((n) => run(engine!, waiting, { arguments: { n }, limits, onToolCall: g.onToolCall })));
    expect(results.map((r) => r.returnValue)).toEqual([1, 2, 3]);
    const isolates = () => engine!.workers()[0]!.isolates;
    await until('a heartbeat reports the three isolates', () => isolates() === 3, { seen: isolates });
    await until('the two extra isolates are gone', () => isolates() === 1, { seen: isolates });
    expect((await run(engine, '"still serving"')).returnValue).toBe('still serving');
  });

  it('a neighbour holding the worker for its whole budget does not make the parked ones look hung', async () => {
    engine = await startEngine({ workers: 1, hangGraceMs: 200 });
    const e = engine;
    const slowTool: ToolCallback = async () => { await new Promise((r) => setTimeout(r, 600)); return 'late'; };
    let called = false;
    const parked = run(e, waiting, { arguments: { n: 1 }, limits: { tools: ['gate'], wallTimeoutMs: 1000 } as never, onToolCall: (...a) => { called = true; return slowTool(...a); } });
    await until('the first execution is parked on its tool call', () => called);
    // Holds the worker's thread until after the parked one's wall limit (+ the 200 ms grace) has passed.
    const spinner = await run(e, 'const end = Date.now() + 1200; while (Date.now() < end) {} "spun"', { limits: { wallTimeoutMs: 3000 } as never });
    expect(spinner.returnValue).toBe('spun');
    const p = await parked;
    expect(p.error?.kind === undefined || p.error.kind === 'timeout').toBe(true); // late, but never WORKER_CRASHED
    expect(e.stats().workerRestarts).toBe(0);
  });

  it('a timer parks too', async () => {
    engine = await startEngine({ workers: 1 });
    const e = engine;
    const sleeper = run(e, 'new Promise((r) => setTimeout(() => r("slept"), 500))');
    await until('the sleeper runs on the worker', () => e.stats().busyIsolates === 1, { seen: () => e.stats() });
    expect((await run(engine, '"meanwhile"')).returnValue).toBe('meanwhile');
    expect((await sleeper).returnValue).toBe('slept');
  });

  it('maxParkedPerWorker bounds how many wait in one worker; the next starts when one ends', async () => {
    engine = await startEngine({ workers: 1, maxParkedPerWorker: 2 });
    const g = gate(3); // two parked and one more (which may not park) wait together
    const results = await Promise.all([1, 2, 3, 4].map((n) => run(engine!, waiting, { arguments: { n }, limits, onToolCall: g.onToolCall })));
    expect(results.map((r) => r.returnValue)).toEqual([1, 2, 3, 4]);
    expect(g.maxInFlight()).toBe(3);
  });

  it('parks no more than the memory limits of a worker\'s isolates fit in 3/4 of its RSS budget', async () => {
    engine = await startEngine({ workers: 1, workerRssBudgetBytes: 400 * 1048576 });
    const g = gate(5); // five isolates of 60 MiB fit in 300 MiB, a sixth does not
    const sixty = { tools: ['gate'], toolTimeoutMs: 5000, wallTimeoutMs: 10_000, memoryBytes: 60 * 1048576 } as never;
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => run(engine!, waiting, { arguments: { n }, limits: sixty, onToolCall: g.onToolCall })));
    expect(results.map((r) => r.returnValue)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(g.maxInFlight()).toBe(5);
  });

  it('with maxParkedPerWorker 0 an execution holds its worker until it ends', async () => {
    engine = await startEngine({ workers: 1, maxParkedPerWorker: 0 });
    const g = gate(2); // needs both waiting at once: one after the other, each times out alone
    const short = { tools: ['gate'], toolTimeoutMs: 300, wallTimeoutMs: 10_000 } as never;
    const results = await Promise.all([1, 2].map((n) => run(engine!, waiting, { arguments: { n }, limits: short, onToolCall: g.onToolCall })));
    expect(results.map((r) => r.error?.kind)).toEqual(['tool_error', 'tool_error']);
    expect(g.maxInFlight()).toBe(1);
  });
});

describe('tool calls in flight', () => {
  it('one execution has at most 8 tool calls at the host at once; the rest wait in the guest, in order', async () => {
    engine = await startEngine({ workers: 1 });
    let inFlight = 0;
    let most = 0;
    const order: number[] = [];
    const onToolCall: ToolCallback = async (_name, args) => {
      inFlight++;
      most = Math.max(most, inFlight);
      order.push(args as number);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return args;
    };
    const fan = 'export default async function main(a, ctx) { return await Promise.all(Array.from({ length: 30 }, (_, i) => ctx.tools.gate(i))); }';
    const r = await run(engine, fan, { limits, onToolCall });
    expect(r.returnValue).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(most).toBe(8);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('calls waiting in the guest hold their arguments in its heap: a fan-out of big arguments hits the memory limit, not the host', async () => {
    engine = await startEngine({ workers: 1 });
    let calls = 0;
    const onToolCall: ToolCallback = async (_name, _args, info) => {
      calls++;
      await new Promise((r) => { const t = setTimeout(r, 5000); info.signal.addEventListener('abort', () => { clearTimeout(t); r(undefined); }, { once: true }); });
      return null;
    };
    // 900 calls of ~900 KB each: ~800 MB of arguments, far past the 50 MiB heap.
    const bomb = 'export default async function main(a, ctx) { const big = { s: "x".repeat(900000) }; return await Promise.all(Array.from({ length: 900 }, () => ctx.tools.gate(big))); }';
    const r = await run(engine, bomb, { limits, onToolCall });
    expect(r.error?.kind).toBe('memory_limit');
    expect(calls).toBeLessThanOrEqual(8);
    expect(engine.stats().workerRestarts).toBe(0);
    await expectHealthy(engine);
  });
});
