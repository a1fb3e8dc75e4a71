// Who a worker's memory death is pinned on when compilations were sent to it. A worker compiles one
// source at a time and tells the host when it begins one; its compile isolate, out of memory, says
// so on stderr after V8's report (isolated-vm's words for an isolate without a catastrophic-error
// handler), so V8's report beside a running compilation is pinned on the isolate that ran out.
import { afterEach, expect, it } from 'vitest';
import { EngineError, type Engine, type WorkerExit } from '../../src/engine/index.ts';
import { MiB, run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

/** A 38 MB array literal: compiling it exhausts the compile isolate's heap where V8 cannot stop it. */
const HUGE = `[${'0,'.repeat(2e7)}0]`;
const BOMB = 'const m = new Map(); for (let i = 0; ; i++) m.set(i, i);';
const reasonOf = (p: Promise<unknown>) => p.then(
  (r) => JSON.stringify((r as { error?: { kind?: string } }).error?.kind ?? 'ok'),
  (e: unknown) => (e instanceof EngineError ? e.reason : String(e)),
);
const shape = (exits: WorkerExit[]) => exits.map(({ reason, blamed, failed, rerun, blamedCompile }) => ({ reason, blamed, failed, rerun, blamedCompile }));
const bombDeath = { reason: 'ran out of memory (its heap was exhausted)', blamed: [{ executionId: 'bomb', kind: 'memory_limit' }], failed: 0, rerun: 0, blamedCompile: undefined };
const compileDeath = { reason: "ran out of memory (a compilation exhausted its compile isolate's heap)", blamed: [], failed: 0, blamedCompile: true };

// Compilations pending on a worker shielded any script there from blame: a caller sending harmless
// ones beside its own memory bomb had the bomb fail WORKER_CRASHED (retried by the SDKs) and its
// worker's death counted toward health. Compilations the worker never began are no suspects.
it('a memory bomb is blamed though compilations wait on its worker', async () => {
  const exits: WorkerExit[] = [];
  engine = await startEngine({ workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, compileTimeoutMs: 60_000, onWorkerExit: (x) => exits.push(x) });
  // It holds the worker's thread a second before filling its heap: the compilations sent meanwhile
  // wait unread behind it.
  const bomb = reasonOf(run(engine, `const end = Date.now() + 1000; while (Date.now() < end) {} ${BOMB}`, { executionId: 'bomb', limits: { wallTimeoutMs: 30_000 } as never }));
  const compiles: Promise<string>[] = [];
  try {
    await until('the bomb runs', () => engine!.stats().busyIsolates === 1, { seen: () => engine!.stats() });
    for (let i = 0; i < 4; i++) compiles.push(reasonOf(engine.compile(`[${'0,'.repeat(1e5)}${i}]`)));
    expect(await bomb).toBe('"memory_limit"');
    // Its worker's death pinned on it; or isolated-vm's own heap check stopped the bomb first (as in
    // heap-exhausted-blame.test.ts), and no worker died.
    expect(shape(exits)).toEqual(exits.length === 0 ? [] : [bombDeath]);
    expect(engine.stats().recentWorkerFailures).toBe(0);
    // Failed with the worker before they began, they compile on its replacement (or where they were).
    expect(await Promise.all(compiles)).toEqual(['"ok"', '"ok"', '"ok"', '"ok"']);
  } finally {
    await settle([bomb, ...compiles]);
  }
}, 120_000);

// Begun, a harmless compilation is done in a moment on its own thread, but the worker can say so
// only once the script holding its thread lets go: it was still running when the bomb's heap ran out.
it('a memory bomb is blamed beside a compilation the worker has begun', async () => {
  const exits: WorkerExit[] = [];
  engine = await startEngine({ workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, compileTimeoutMs: 60_000, onWorkerExit: (x) => exits.push(x) });
  const compile = reasonOf(engine.compile(`[${'0,'.repeat(1e6)}0]`));
  // The compilation is sent once the microtasks have run (execute sends at once): the worker begins it first.
  await new Promise((r) => setImmediate(r));
  const bomb = reasonOf(run(engine, BOMB, { executionId: 'bomb', limits: { wallTimeoutMs: 30_000 } as never }));
  try {
    expect(await bomb).toBe('"memory_limit"');
    // Its worker's death pinned on it; or, as happens on a loaded machine, isolated-vm stopped the bomb
    // at its isolate's limit before V8's heap ran out, and no worker died.
    expect(shape(exits)).toEqual(exits.length === 0 ? [] : [bombDeath]);
    expect(engine.stats().recentWorkerFailures).toBe(0);
    expect(await compile).toBe('"ok"');
  } finally {
    await settle([bomb, compile]);
  }
}, 120_000);

// The compile deadline of the two tests below: long enough for the 38 MB source to reach its worker
// and begin there on a loaded machine (one still queued past it is answered unbegun, a98c184), and
// most often shorter than its compiling until its heap runs out (TIMEOUT; else RESOURCE_EXCEEDED,
// blamed alike).
const EXPIRES_MS = 1500;

// A compilation the host answered TIMEOUT (compileTimeoutMs) was forgotten while the worker still
// compiled it: its memory death was then blamed on the script beside it (memory_limit), or, with none,
// counted toward health as a crash of unknown cause.
it('a compilation past its deadline that exhausts its heap beside a script is blamed, not the script', async () => {
  const exits: WorkerExit[] = [];
  // V8's report alone ends the worker: no RSS budget to come first.
  engine = await startEngine({
    workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, workerRssBudgetBytes: 64 * 1024 * MiB, compileTimeoutMs: EXPIRES_MS, onWorkerExit: (x) => exits.push(x),
  });
  const compile = reasonOf(engine.compile(HUGE));
  await new Promise((r) => setImmediate(r));
  // Runs until cancelled: a neighbour of the compilation's doing, it runs again on the replacement.
  const cancel = new AbortController();
  const busy = reasonOf(run(engine, 'while (true) {}', { executionId: 'busy', limits: { wallTimeoutMs: 120_000 } as never }, cancel.signal));
  try {
    expect(['TIMEOUT', 'RESOURCE_EXCEEDED']).toContain(await compile);
    await until('the worker is replaced', () => exits.length === 1, { timeoutMs: 120_000, seen: () => exits });
    expect(shape(exits)).toEqual([{ ...compileDeath, rerun: 1 }]);
    expect(engine.stats().recentWorkerFailures).toBe(0);
    await until('the script runs again', () => engine!.stats().busyIsolates === 1, { seen: () => engine!.stats() });
    cancel.abort();
    expect(await busy).toBe('"cancelled"');
  } finally {
    cancel.abort();
    await settle([compile, busy]);
  }
}, 180_000);

it('a compilation past its deadline that exhausts its heap alone is blamed for its worker', async () => {
  const exits: WorkerExit[] = [];
  engine = await startEngine({
    workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, workerRssBudgetBytes: 64 * 1024 * MiB, compileTimeoutMs: EXPIRES_MS, onWorkerExit: (x) => exits.push(x),
  });
  expect(['TIMEOUT', 'RESOURCE_EXCEEDED']).toContain(await reasonOf(engine.compile(HUGE)));
  await until('the worker is replaced', () => exits.length === 1, { timeoutMs: 120_000, seen: () => exits });
  expect(shape(exits)).toEqual([{ ...compileDeath, rerun: 0 }]);
  expect(engine.stats().recentWorkerFailures).toBe(0);
}, 180_000);

// A compilation alone on a worker that passed its RSS budget (the parser's memory is outside the
// compile isolate's heap) was told it exceeded the compiler's 128 MiB heap, with that limit. Beside
// a script, who passed the budget is not known: nobody is blamed, and the death does not count.
it('a compilation that takes its worker past its memory budget is told that budget', async () => {
  const exits: WorkerExit[] = [];
  engine = await startEngine({ workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, workerRssBudgetBytes: 300 * MiB, compileTimeoutMs: 600_000, onWorkerExit: (x) => exits.push(x) });
  const compile = engine.compile(HUGE).then(() => undefined, (x: unknown) => x);
  await new Promise((r) => setImmediate(r));
  const busy = reasonOf(run(engine, 'while (true) {}', { executionId: 'busy', limits: { wallTimeoutMs: 120_000 } as never }));
  try {
    expect(await busy).toBe('WORKER_CRASHED');
    // Compiled again on the replacement, alone there.
    const e = await compile;
    expect(e).toBeInstanceOf(EngineError);
    expect(e).toMatchObject({ reason: 'RESOURCE_EXCEEDED', resource: 'memory', limit: 300 * MiB });
    expect((e as Error).message).toBe('compiling the source took its worker past its memory budget of 300 MiB (its worker was replaced)');
    const budget = expect.stringMatching(/^exceeded its memory budget/);
    expect(shape(exits)).toEqual([
      { reason: budget, blamed: [], failed: 1, rerun: 0, blamedCompile: undefined },
      { reason: budget, blamed: [], failed: 0, rerun: 0, blamedCompile: true },
    ]);
    expect(engine.stats().recentWorkerFailures).toBe(0);
  } finally {
    await settle([compile, busy]);
  }
}, 180_000);
