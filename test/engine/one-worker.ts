import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine } from './helpers.ts';

/** Safe's limits that matter to a deaf builtin: 50 MiB, a 1 s wall, half of it CPU. */
export const safeAt1s = { memoryBytes: 50 * MiB, wallTimeoutMs: 1000, cpuShare: 50 };

/** An engine of one worker for the file's tests, and the worker exits each test saw (none, it should be). */
export function oneWorker(): { engine: () => Engine; exits: { reason: string }[] } {
  let engine: Engine | undefined;
  const exits: { reason: string }[] = [];
  beforeAll(async () => { engine = await startEngine({ workers: 1, onWorkerExit: (e) => exits.push(e) }); }, 20_000);
  afterAll(async () => { await engine?.close(); }, 20_000);
  beforeEach(() => { exits.length = 0; });
  return { engine: () => engine!, exits };
}

/**
 * Runs source beside a neighbour parked on a timer in the same worker: the run ends within its limits
 * (a value, or a limit's error), its worker is not replaced, and the neighbour still answers.
 */
export async function expectEndsBesideNeighbour(engine: Engine, exits: { reason: string }[], source: string, limits: object): Promise<void> {
  const neighbour = parkedNeighbour(engine);
  await new Promise((r) => setTimeout(r, 300)); // the neighbour is parked on its timer
  const r = await run(engine, source, { limits: limits as never });
  expect(['timeout', 'memory_limit', undefined]).toContain(r.error?.kind);
  expect(r.error?.message ?? '').not.toContain('replaced');
  expect(exits).toEqual([]);
  const n = await neighbour;
  expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
  await expectHealthy(engine);
}
