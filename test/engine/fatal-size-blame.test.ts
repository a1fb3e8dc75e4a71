// V8 aborts the whole process (SIGTRAP, "Fatal JavaScript invalid size error") when one builtin is
// asked for a result past what it can size, which a one-line script reaches in under a second
// ("x".repeat(2**28).split("")). The supervisor did not read that as running out of memory: nobody
// was blamed, the caller got a retryable WORKER_CRASHED, every neighbour parked on the worker failed
// without running again, and each such call counted toward UNHEALTHY.
import { afterEach, expect, it } from 'vitest';
import type { Engine, WorkerExit } from '../../src/engine/index.ts';
import { diedOutOfMemory } from '../../src/engine/supervisor.ts';
import { run, startEngine } from './helpers.ts';
import { settle } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

it('reads each of V8\'s fatal allocation-size aborts as running out of memory, and nothing else', () => {
  for (const tail of [
    '#\n# Fatal error in , line 0\n# Fatal JavaScript invalid size error 268435456 (see crbug.com/1201626)\n#\n',
    '# Fatal JavaScript invalid size error 134217729\n',
    '# Fatal JavaScript invalid size error when adding element\n',
    '# Fatal JavaScript invalid size error when transitioning elements kind\n',
    '# Fatal JavaScript invalid array length 4294967295\n',
  ]) expect(diedOutOfMemory(tail), tail).toBe(true);
  expect(diedOutOfMemory('the parent-watch thread stopped (ERR_WORKER_INIT_FAILED)\n')).toBe(false);
  expect(diedOutOfMemory('# Fatal error in ../src/objects/x.cc, line 12\n# Check failed: !IsFoo(y).\n')).toBe(false);
});

it('a script aborting V8 with an invalid size error gets its memory limit; its parked neighbours run again; health is not charged', async () => {
  const exits: WorkerExit[] = [];
  // One single-isolate worker: the attack starts once the neighbours before it have parked.
  engine = await startEngine({ workers: 1, heartbeatTimeoutMs: 60_000, onWorkerExit: (x) => exits.push(x) });
  const e = engine;
  const neighbours = ['n1', 'n2'].map((id) => run(e, `new Promise((r) => setTimeout(() => r("${id} ok"), 1500))`, { executionId: id, limits: { wallTimeoutMs: 20_000 } as never }));
  try {
    const attack = await run(e, '"x".repeat(2 ** 28).split("").length', { executionId: 'attack' });
    expect(attack.error, JSON.stringify(attack.error ?? attack.returnValue)).toMatchObject({ kind: 'memory_limit' });
    const ns = await Promise.all(neighbours);
    expect(ns.map((n) => n.returnValue ?? n.error)).toEqual(['n1 ok', 'n2 ok']);
    expect(exits).toMatchObject([{ blamed: [{ executionId: 'attack', kind: 'memory_limit' }], failed: 0, rerun: 2 }]);
    expect(exits[0]!.reason).toMatch(/^ran out of memory \((SIGTRAP|SIGABRT|SIGILL)/);
    expect(e.stats().recentWorkerFailures).toBe(0);
  } finally {
    await settle(neighbours);
  }
}, 60_000);
