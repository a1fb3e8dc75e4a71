// A compilation whose worker is replaced under it compiles again on a ready worker, and waits for
// one only as long as its own deadline (compileTimeoutMs) leaves: it waited up to 10 s whatever
// that deadline was, then failed WORKER_CRASHED. Every replacement here is held stopped (SIGSTOP)
// from its start, so none becomes ready while the compilation waits.
import { expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { EngineError } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

it('a compilation retried after its worker was replaced waits for a ready worker within its own deadline', async () => {
  const stopped = new Set<number>();
  let engine: Engine | undefined;
  engine = await startEngine({
    workers: 1,
    compileTimeoutMs: 3000,
    // The replacement is spawned right after this is told; stopped before it can say it is ready.
    onWorkerExit: (exit) => queueMicrotask(() => {
      for (const w of engine?.workers() ?? []) {
        if (w.pid === undefined || w.workerId === exit.workerId || stopped.has(w.pid)) continue;
        stopped.add(w.pid);
        process.kill(w.pid, 'SIGSTOP');
      }
    }),
  });
  const cancel = new AbortController();
  let spinning: Promise<unknown> | undefined;
  try {
    // A script holding the worker's thread, so the compilation sent there waits behind it.
    // It fails with its worker (WORKER_CRASHED), as it should: not what this test is about.
    spinning = run(engine, 'for (;;) {}', { limits: { wallTimeoutMs: 20_000 } as never }, cancel.signal).catch((e: unknown) => e);
    await until('the script runs on the worker', () => engine!.stats().busyIsolates === 1, { seen: () => engine!.stats() });
    const [first] = engine.workers();
    const compiling = engine.compile('export default () => "waits"').then(() => undefined, (e: unknown) => e);
    // Sent to the worker within this turn (a ready worker is found at once); then the worker dies.
    await new Promise((r) => setImmediate(r));
    process.kill(first!.pid!, 'SIGKILL');
    const err = await compiling;
    expect(stopped.size).toBe(1); // its replacement, never ready
    expect(err).toBeInstanceOf(EngineError);
    expect([(err as EngineError).reason, (err as EngineError).message]).toEqual([
      'TIMEOUT',
      'the compilation was not done within 3000 ms: no worker was ready (workers were being replaced); try again',
    ]);
    expect((err as EngineError).retryAfterMs).toBeGreaterThan(0);
  } finally {
    cancel.abort();
    for (const pid of stopped) process.kill(pid, 'SIGCONT');
    await settle(spinning ? [spinning] : []);
    await engine.close();
  }
}, 60_000);
