// A script's compiled code crosses to a worker once; later executions send only its cache key, and a
// worker that no longer holds the code asks for it again. Either way every execution runs its own
// script with its own arguments.
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

let engine: Engine | undefined;
// Hang guards only, nothing is timed: a worker start and a dozen executions took over 20 s on a starved machine.
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

const scripts = ['a', 'b', 'c'].map((name) => ({
  name,
  source: `export default function main(args) { return "${name}:" + args.n + ":" + "${name.repeat(2000)}".length; }`,
}));

async function runAll(e: Engine, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const results = await Promise.all(scripts.map((s) => run(e, s.source, { arguments: { n: i } })));
    expect(results.map((r) => r.returnValue)).toEqual(scripts.map((s) => `${s.name}:${i}:2000`));
  }
}

describe('code sent by reference', () => {
  it('sends a compiled script to a worker once, then only its key', async () => {
    engine = await startEngine({ workers: 1 });
    await runAll(engine, 5);
    const s = engine.stats();
    // The first round compiles, the second carries the code, the rest go by reference.
    expect(s.codeByReference).toBe(9);
    expect(s.codeResent).toBe(0);
  }, 60_000);

  it('resends the code when the worker no longer has it, and still runs each script right', async () => {
    engine = await startEngine({ workers: 1, workerCodeCacheBytes: 0 }); // the worker keeps nothing
    await runAll(engine, 4);
    const s = engine.stats();
    expect(s.codeByReference).toBeGreaterThan(0);
    expect(s.codeResent).toBe(s.codeByReference);
    expect(s.executionsSucceeded).toBe(12);
  }, 60_000);

  it('a new worker gets the code again', async () => {
    engine = await startEngine({ workers: 1 });
    await runAll(engine, 3);
    const before = engine.stats().codeByReference;
    const e = engine;
    const killed = e.workers()[0]!.pid!;
    process.kill(killed, 'SIGKILL');
    await until('the killed worker is replaced', () => e.workers().length === 1 && e.workers()[0]!.pid !== killed, { seen: () => e.workers() });
    await runAll(engine, 1); // served by the replacement: the code crosses with each script again
    expect(engine.stats().codeByReference).toBe(before);
    expect(engine.stats().codeResent).toBe(0);
  }, 60_000);
});
