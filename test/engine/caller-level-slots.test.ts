// A caller's concurrency is counted per level against that level's cap, and in all against its own
// caps (ExecuteJob.caller: CallerSlots). One counter for all levels, compared with the new run's
// level's cap, had 12 Production executions refuse a Safe one, "already has 12 executions (limit 10:
// the safe level's)", while more Production work was still admitted.
import { afterEach, expect, it } from 'vitest';
import { EngineError, type CallerSlots, type Engine, type ExecutionOutcome } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine | undefined;
const held: Promise<ExecutionOutcome>[] = [];
afterEach(async () => {
  await engine?.close({ now: true });
  engine = undefined;
  await Promise.allSettled(held.splice(0));
}, 20_000);

const total = { limit: 5, name: 'its max_concurrent' };
const at = (level: string, limit: number, limitName: string): CallerSlots => ({ key: 'c', limit, limitName, level, total });
const SAFE = at('safe', 1, "the safe level's");
const PRODUCTION = at('production', 3, "the production level's");
const DEVELOPMENT = at('development', 5, 'its max_concurrent');

/**
 * Admitted (a refusal is a promise already rejected) and left waiting on a timer; one worker, so
 * the rest wait in the queue, counted alike.
 */
async function hold(e: Engine, caller: CallerSlots, signal?: AbortSignal): Promise<{ outcome: Promise<ExecutionOutcome> }> {
  const p = run(e, 'new Promise((r) => setTimeout(r, 60_000))', { caller, limits: { wallTimeoutMs: 60_000 } as never }, signal);
  held.push(p);
  const refused = await Promise.race([p.then(() => undefined, (x: unknown) => x), new Promise((r) => setImmediate(r))]);
  expect(refused).toBeUndefined();
  return { outcome: p };
}

async function refusal(e: Engine, caller: CallerSlots): Promise<EngineError> {
  const err = await run(e, '1', { caller }).then(() => undefined, (x: unknown) => x);
  expect(err).toBeInstanceOf(EngineError);
  return err as EngineError;
}

it("a caller's executions at one level leave its room at another; its own cap counts them all", async () => {
  const e = engine = await startEngine({ workers: 1, maxQueue: 20 });
  for (let i = 0; i < 3; i++) await hold(e, PRODUCTION);

  const production = await refusal(e, PRODUCTION);
  expect(production.message).toBe("caller c already has 3 production executions (limit 3: the production level's)");
  expect(production).toMatchObject({ reason: 'RESOURCE_EXCEEDED', resource: 'concurrent_executions', limit: 3 });

  // The Production runs take none of the Safe level's room.
  await hold(e, SAFE);
  expect((await refusal(e, SAFE)).message).toBe("caller c already has 1 safe execution (limit 1: the safe level's)");

  // 4 of 5 in all: one more at a level with room, then its own cap refuses at every level.
  await hold(e, DEVELOPMENT);
  for (const caller of [DEVELOPMENT, SAFE, PRODUCTION]) {
    const all = await refusal(e, caller);
    expect(all.message).toBe('caller c already has 5 executions (limit 5: its max_concurrent)');
    expect(all.limit).toBe(5);
  }
  // Another caller is not held back.
  await hold(e, { ...SAFE, key: 'other' });
});

it('a slot freed at a level is that level\'s again', async () => {
  const e = engine = await startEngine({ workers: 1, maxQueue: 20 });
  const stop = new AbortController();
  const { outcome } = await hold(e, SAFE, stop.signal);
  expect((await refusal(e, SAFE)).message).toContain('1 safe execution');
  stop.abort();
  expect((await outcome).error?.kind).toBe('cancelled');
  expect((await run(e, '1', { caller: SAFE })).returnValue).toBe(1);
});
