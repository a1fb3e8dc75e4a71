// Compilations wait in a worker behind the synchronous script it runs. One whose callers have all
// gone (cancelled, their deadline passed) no longer takes a waiting caller's room in the compile
// queue, and its worker drops it unbegun; a full compile queue shows in stats (health reads it),
// and its refusal's RetryInfo is when the busy worker is expected to be free, not a fixed 200 ms.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { EngineError } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, maxQueue: 2 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const BUSY = 'for (;;) {}';
const source = (i: number) => `export default () => "abandoned ${i}"`;
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as EngineError);

it('an abandoned compilation frees its room, is dropped unbegun, and a full compile queue is seen', async () => {
  // A first run makes the busy loop's expected duration known (~1 s): the retry hint is based on it.
  expect((await run(engine, BUSY, { limits: { wallTimeoutMs: 1000 } as never })).error?.kind).toBe('timeout');
  const spinning = run(engine, BUSY, { limits: { wallTimeoutMs: 3000 } as never });
  const waiting: ReturnType<Engine['compile']>[] = [];
  try {
    await until('the busy loop holds the worker', () => engine.stats().busyIsolates === 1, { seen: () => engine.stats() });
    // As many callers as max_queue give up on their new sources while the worker is busy.
    const callers = [0, 1].map((i) => {
      const ctl = new AbortController();
      return { ctl, answer: refusal(engine.compile(source(i), {}, ctl.signal)) };
    });
    expect(engine.stats()).toMatchObject({ compilesInFlight: 2, compilesAbandoned: 0, compileQueueFull: true });
    // Sent to the worker (where they wait behind the loop) before their callers leave.
    await new Promise((r) => setImmediate(r));
    for (const c of callers) c.ctl.abort();
    for (const c of callers) expect(((await c.answer) as EngineError).reason).toBe('CANCELLED');
    expect(engine.stats()).toMatchObject({ compilesInFlight: 0, compilesAbandoned: 2, compileQueueFull: false });

    // New callers are admitted up to max_queue again, while the abandoned ones still wait in the worker.
    waiting.push(engine.compile(source(10)), engine.compile(source(11)));
    expect(engine.stats()).toMatchObject({ compilesInFlight: 2, compilesAbandoned: 2, compileQueueFull: true });
    const e = (await refusal(engine.compile(source(12)))) as EngineError;
    expect(e).toBeInstanceOf(EngineError);
    expect([e.reason, e.resource]).toEqual(['QUEUE_FULL', 'compile_queue']);
    // The busy loop's expected end (~1 s after it began), not the old fixed 200 ms.
    expect(e.retryAfterMs).toBeGreaterThan(400);
    expect(e.retryAfterMs).toBeLessThanOrEqual(3000);

    // Once the worker is free: the admitted ones compile; the abandoned ones were dropped, not compiled (not cached).
    expect((await spinning).error?.kind).toBe('timeout');
    for (const r of await Promise.all(waiting)) expect(r.cacheHit).toBe(false);
    await until('the abandoned compilations are answered', () => engine.stats().compilesAbandoned === 0, { seen: () => engine.stats() });
    expect(engine.stats()).toMatchObject({ compilesInFlight: 0, compileQueueFull: false });
    expect((await engine.compile(source(0))).cacheHit).toBe(false);
    expect((await engine.compile(source(10))).cacheHit).toBe(true);
  } finally {
    await settle([spinning, ...waiting]);
  }
}, 30_000);

it('a compilation shared with a caller still waiting is not abandoned', async () => {
  const spinning = run(engine, BUSY, { limits: { wallTimeoutMs: 1000 } as never });
  try {
    await until('the busy loop holds the worker', () => engine.stats().busyIsolates === 1, { seen: () => engine.stats() });
    const ctl = new AbortController();
    const leaving = refusal(engine.compile(source(20), {}, ctl.signal));
    const staying = engine.compile(source(20));
    ctl.abort();
    expect(((await leaving) as EngineError).reason).toBe('CANCELLED');
    expect(engine.stats()).toMatchObject({ compilesInFlight: 1, compilesAbandoned: 0 });
    expect((await staying).kind).toBe('module');
  } finally {
    await settle([spinning]);
  }
}, 30_000);

it("the per-caller limit's RetryInfo is when the caller's soonest execution is expected to end", async () => {
  const WAIT = 'new Promise((r) => setTimeout(() => r(1), 1500))';
  const caller = { key: 'bob', limit: 1 };
  expect((await run(engine, WAIT, { caller })).returnValue).toBe(1); // its expected duration: ~1.5 s
  const first = run(engine, WAIT, { caller });
  try {
    await until("bob's execution runs", () => engine.stats().active === 1, { seen: () => engine.stats() });
    const e = (await refusal(run(engine, WAIT, { caller }))) as EngineError;
    expect([e.reason, e.resource]).toEqual(['RESOURCE_EXCEEDED', 'concurrent_executions']);
    expect(e.retryAfterMs).toBeGreaterThan(400); // was a fixed 100 ms
    expect(e.retryAfterMs).toBeLessThanOrEqual(3000); // never past its wall limit
  } finally {
    await settle([first]);
  }
}, 30_000);
