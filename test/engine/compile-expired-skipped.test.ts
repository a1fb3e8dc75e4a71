// A compilation the host answered TIMEOUT while it still waited in its worker (behind a script holding
// the worker's thread) was compiled all the same once its turn came: work for nobody, and a source
// that exhausts the compile isolate's heap then took the worker down after its caller had been told.
// The worker now answers such a one unbegun.
import { afterEach, expect, it } from 'vitest';
import { EngineError, type Engine, type WorkerExit } from '../../src/engine/index.ts';
import { MiB, run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

/** A 38 MB array literal: compiling it exhausts the compile isolate's heap. */
const HUGE = `[${'0,'.repeat(2e7)}0]`;
const reasonOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof EngineError ? e.reason : String(e)));

it('a compilation past its deadline before its turn is not begun', async () => {
  const exits: WorkerExit[] = [];
  engine = await startEngine({
    workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, workerRssBudgetBytes: 64 * 1024 * MiB, compileTimeoutMs: 500,
    onWorkerExit: (x) => exits.push(x),
  });
  // Holds the worker's thread well past the compilation's deadline, then ends by itself.
  const busy = run(engine, 'const end = Date.now() + 3000; while (Date.now() < end) {} "done"', { limits: { wallTimeoutMs: 60_000 } as never });
  const huge = reasonOf(engine.compile(HUGE));
  try {
    await until('the script runs', () => engine!.stats().busyIsolates === 1, { seen: () => engine!.stats() });
    expect(await huge).toBe('TIMEOUT');
    expect((await busy).returnValue).toBe('done');
    // Compilations run in the order sent: once one sent after it compiles, the huge one had its turn
    // (on a loaded machine the first may miss its own 500 ms deadline: a few are tried).
    const after: string[] = [];
    while (after.length < 5 && after.at(-1) !== 'ok') after.push(await reasonOf(engine.compile(`1 + ${after.length}`)));
    expect(after.at(-1), after.join()).toBe('ok');
    expect(exits).toEqual([]);
    expect(engine.stats().workerRestarts).toBe(0);
  } finally {
    await settle([busy, huge]);
  }
}, 120_000);
