// Guest code the host delivers into a waiting script (a due timer, a tool's reply) runs under the
// run's CPU budget: stopped there, it ends the run with the same TIMEOUT (limit cpu_time) as the same
// loop in main. The worker once dropped such a stop: the CPU watch (every 25 ms) was all that turned
// the overuse into an error, and a result settling in the next delivery, right after the stop, beat
// it most of the time: the run succeeded past its budget, its callback cut off half-way, nothing said.
// Each case below settles its result right after the stop, and is run several times, so that the
// watch cannot make it pass without the fix (it noticed in well under half the runs); with the fix
// every run is the TIMEOUT, whichever of the watch and the delivery's own timeout stops the callback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, ExecutionOutcome, ToolCallback } from '../../src/engine/index.ts';
import { MiB, expectHealthy, run, startEngine } from './helpers.ts';

/** A 50 ms CPU budget (1 % of a 5 s wall limit): stopped far from the wall clock's end. */
const limits = { wallTimeoutMs: 5000, cpuShare: 1 } as never;
const ATTEMPTS = 12;

/** The first timer spins; the second, due as soon, runs right after it is stopped and settles the result. */
const TIMER_SPINS = `export default async function main() {
  let done = false;
  setTimeout(() => { for (;;) {} done = true }, 0);
  await new Promise((r) => setTimeout(r, 0));
  return { done };
}`;

/** The tool's reply spins; the timer it set first runs right after it is stopped and settles the result. */
const REPLY_SPINS = `export default async function main(a, ctx) {
  let settle, done = false;
  const end = new Promise((r) => { settle = r; });
  ctx.tools.ping({}).then(() => { setTimeout(settle, 0); for (;;) {} done = true });
  await end;
  return { done };
}`;

const ping: ToolCallback = async () => 'pong';

function expectCpuTimeout(r: ExecutionOutcome, attempt: number): void {
  expect([attempt, r.success, r.returnValue, r.error?.kind, r.error?.limit], JSON.stringify(r.error ?? r.returnValue)).toEqual([attempt, false, undefined, 'timeout', 'cpu_time']);
  expect(r.error?.message).toBe('the script exceeded its CPU time limit of 50 ms');
}

describe.each([
  ['sync guest calls (one isolate per worker)', 1],
  ['async guest calls (two isolates per worker)', 2],
])('%s', (_label, isolatesPerWorker) => {
  let engine: Engine;
  beforeAll(async () => { engine = await startEngine({ workers: 1, isolatesPerWorker }); }, 20_000);
  afterAll(async () => { await engine?.close(); }, 20_000);

  it('a timer callback stopped at the CPU budget ends the run as a cpu_time TIMEOUT, though the next timer settles its result', { timeout: 60_000 }, async () => {
    for (let i = 0; i < ATTEMPTS; i++) expectCpuTimeout(await run(engine, TIMER_SPINS, { limits }), i);
    await expectHealthy(engine);
  });

  it('a tool reply\'s callback stopped at the CPU budget ends the run as a cpu_time TIMEOUT too', { timeout: 60_000 }, async () => {
    for (let i = 0; i < ATTEMPTS; i++) {
      expectCpuTimeout(await run(engine, REPLY_SPINS, { onToolCall: ping, limits: { ...(limits as object), tools: ['ping'] } as never }), i);
    }
    await expectHealthy(engine);
  });

  it('a timer callback that runs out of memory ends the run as its memory breach', { timeout: 60_000 }, async () => {
    const r = await run(engine, `export default async function main() {
  const keep = [];
  setTimeout(() => { for (;;) keep.push(new Array(1e5).fill(keep.length)) }, 0);
  await new Promise((r) => setTimeout(r, 0));
  return keep.length;
}`, { limits: { memoryBytes: 16 * MiB, wallTimeoutMs: 10_000 } as never });
    expect([r.success, r.error?.kind], JSON.stringify(r.error ?? r.returnValue)).toEqual([false, 'memory_limit']);
    await expectHealthy(engine);
  });

  it('a timer callback that throws is still reported on stderr, and the script goes on', async () => {
    const r = await run(engine, `export default async function main() {
  setTimeout(() => { throw new Error('thrown in a timer') }, 0);
  await new Promise((r) => setTimeout(r, 0));
  return 'went on';
}`, { limits });
    expect([r.success, r.returnValue], JSON.stringify(r.error)).toEqual([true, 'went on']);
    expect(r.stderr).toMatch(/^Uncaught Error: thrown in a timer\n/);
  });

  it('a callback stopped by a cancel ends the run as cancelled', { timeout: 30_000 }, async () => {
    const cancel = new AbortController();
    const running = run(engine, `export default async function main() {
  setTimeout(() => { for (;;) {} }, 0);
  await new Promise((r) => setTimeout(r, 0));
  return 'never';
}`, { limits: { wallTimeoutMs: 10_000 } as never }, cancel.signal);
    setTimeout(() => cancel.abort(), 200);
    const r = await running;
    expect([r.success, r.error?.kind], JSON.stringify(r.error ?? r.returnValue)).toEqual([false, 'cancelled']);
    await expectHealthy(engine);
  });
});
