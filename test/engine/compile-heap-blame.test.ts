// A compilation runs in an isolate of its own (128 MiB), on a thread of its own, maybe beside the
// script holding its worker's thread. An array literal of 2e7 elements (a 38 MB source, under a
// raised max_source_size) exhausts that isolate's heap where V8 cannot stop it, and V8 prints its
// out-of-memory report: the supervisor blamed the script holding the thread for its memory
// (memory_limit, its worker's death not counted toward health), and the compile, failed
// WORKER_CRASHED, was compiled again on each replacement, taking it down in turn, until it gave up
// WORKER_CRASHED. V8's report does not say which isolate ran out; the compile isolate, out of memory,
// says so next on stderr (it has no catastrophic-error handler): the compile is blamed, not compiled
// again, and the script, a blameless neighbour, runs again on the replacement.
import { afterEach, expect, it } from 'vitest';
import { EngineError, type Engine, type ExecutionOutcome, type WorkerExit } from '../../src/engine/index.ts';
import { MiB, run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

const HUGE = `[${'0,'.repeat(2e7)}0]`;

const reasonOf = (p: Promise<unknown>) => p.then((r) => `resolved ${JSON.stringify((r as ExecutionOutcome).error ?? (r as ExecutionOutcome).returnValue)}`, (x: unknown) => (x instanceof EngineError ? x.reason : String(x)));

it('a compile exhausting its isolate\'s heap beside a running script is its own memory limit, not the script\'s', async () => {
  const exits: WorkerExit[] = [];
  // V8's report alone ends each worker: no RSS budget (the compile's parser memory is outside the
  // heap) and no compile deadline to come first on a loaded machine.
  engine = await startEngine({
    workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, workerRssBudgetBytes: 64 * 1024 * MiB, compileTimeoutMs: 600_000,
    onWorkerExit: (x) => exits.push(x),
  });
  const compile = engine.compile(HUGE);
  // The compile is sent once the microtasks have run (execute sends at once): the worker begins it
  // first, then runs the script while the compile goes on in its own isolate.
  await new Promise((r) => setImmediate(r));
  // Runs until cancelled: its 120 s limit never comes first.
  const cancel = new AbortController();
  const busy = run(engine, 'while (true) {}', { executionId: 'busy', limits: { wallTimeoutMs: 120_000 } as never }, cancel.signal);
  try {
    const e = await compile.then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect(e).toMatchObject({ reason: 'RESOURCE_EXCEEDED', resource: 'memory', limit: 128 * MiB });
    expect((e as Error).message).toContain("compiling the source exceeded the compiler's memory limit of 128 MiB");
    expect(exits).toMatchObject([
      { reason: "ran out of memory (a compilation exhausted its compile isolate's heap)", blamed: [], failed: 0, rerun: 1, blamedCompile: true },
    ]);
    expect(engine.stats().recentWorkerFailures).toBe(0);
    // The script runs again on the replacement, until cancelled there.
    await until('the script runs again', () => engine!.stats().busyIsolates === 1, { seen: () => engine!.stats() });
    cancel.abort();
    expect(await reasonOf(busy)).toContain('"kind":"cancelled"');
  } finally {
    cancel.abort();
    await settle([compile, busy]);
  }
}, 180_000);
