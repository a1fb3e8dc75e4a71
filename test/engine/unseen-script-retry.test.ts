// RetryInfo of a refusal while the running work is a script never seen to end (an ad-hoc source):
// it was estimated by the lifetime average (50 ms when none), so every such refusal said retry in
// 100 ms (the floor) while the work had seconds left. Such a script is now expected to take a tenth
// of its wall limit (or as long again as it has run), within the 100 ms .. 30 s bounds.
import { afterEach, expect, it } from 'vitest';
import { EngineError, type Engine, type ExecutionOutcome } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

let engine: Engine | undefined;
const held: Promise<unknown>[] = [];
afterEach(async () => {
  await engine?.close({ now: true });
  engine = undefined;
  await Promise.allSettled(held.splice(0));
}, 20_000);

const WALL_MS = 60_000;
/** What a script of WALL_MS not seen to end is expected to take. */
const EXPECTED_MS = WALL_MS / 10;

function start(e: Engine, source: string, extra: Parameters<typeof run>[2] = {}): Promise<ExecutionOutcome> {
  const p = run(e, source, { ...extra, limits: { wallTimeoutMs: WALL_MS, ...extra.limits } as never });
  p.catch(() => {});
  held.push(p);
  return p;
}

async function refusal(p: Promise<unknown>): Promise<EngineError> {
  const err = await p.then(() => undefined, (x: unknown) => x);
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

it("a caller at its limit is told to retry when its running script is expected to end", async () => {
  const e = engine = await startEngine({ workers: 1 });
  const since = performance.now();
  start(e, 'new Promise((r) => setTimeout(r, 60_000))', { caller: { key: 'c', limit: 1 } });
  await until('the script runs', () => e.stats().busyIsolates === 1, { seen: () => e.stats() });
  const err = await refusal(run(e, '1', { caller: { key: 'c', limit: 1 } }));
  // Expected to take EXPECTED_MS; it has run no longer than this test has waited.
  expect(err.reason).toBe('RESOURCE_EXCEEDED');
  expect(err.retryAfterMs).toBeGreaterThanOrEqual(EXPECTED_MS - (performance.now() - since) - 1);
});

it('a full execution queue counts the queued and running scripts never seen to end by their wall limits', async () => {
  const e = engine = await startEngine({ workers: 1, maxQueue: 1 });
  const since = performance.now();
  start(e, 'new Promise((r) => setTimeout(r, 60_000))');
  await until('the script runs', () => e.stats().busyIsolates === 1, { seen: () => e.stats() });
  start(e, 'new Promise((r) => setTimeout(r, 60_001))');
  const err = await refusal(run(e, '1'));
  expect(err.reason).toBe('QUEUE_FULL');
  // The queued one's EXPECTED_MS, and what the running one has left of its own.
  expect(err.retryAfterMs).toBeGreaterThanOrEqual(2 * EXPECTED_MS - (performance.now() - since) - 1);
  expect(err.message).toBe('the execution queue is full (limit 1: pool.max_queue)');
});

it('a full compile queue is told to retry when the script holding the worker is expected to end', async () => {
  const e = engine = await startEngine({ workers: 1, maxQueue: 1 });
  const since = performance.now();
  start(e, 'for (;;) {}');
  await until('the script runs', () => e.stats().busyIsolates === 1, { seen: () => e.stats() });
  // Waits behind the spinning script for the worker's thread; the next new source is refused.
  const waiting = e.compile('export default () => "a"');
  waiting.catch(() => {});
  held.push(waiting);
  const err = await refusal(e.compile('export default () => "b"'));
  expect(err.reason).toBe('QUEUE_FULL');
  expect(err.retryAfterMs).toBeGreaterThanOrEqual(EXPECTED_MS - (performance.now() - since) - 1);
  expect(err.message).toBe('too many compilations in progress (1; limit 1: pool.max_queue)');
});
