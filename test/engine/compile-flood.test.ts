// Compilations sent together to one worker shared its compile isolate (128 MiB): once their sources
// together outgrew it, each one in flight was told it exceeded the compiler's memory limit
// (RESOURCE_EXCEEDED, never compiled again) although each compiles alone. The worker now compiles
// one source at a time, so a memory breach there is that source's own.
import { afterEach, expect, it } from 'vitest';
import { EngineError, type Engine, type WorkerExit } from '../../src/engine/index.ts';
import { MiB, startEngine } from './helpers.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

// A 2 MB array literal: far under the compile isolate's limit alone.
const literal = (i: number) => `[${'0,'.repeat(1e6)}${i}]`;

it('compilations in flight together on one worker each compile as they do alone', async () => {
  const exits: WorkerExit[] = [];
  engine = await startEngine({ workers: 1, maxSourceBytes: 64 * MiB, heartbeatTimeoutMs: 60_000, compileTimeoutMs: 120_000, onWorkerExit: (x) => exits.push(x) });
  const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof EngineError ? `${e.reason}: ${e.message}` : String(e)));
  expect(await outcome(engine.compile(literal(-1)))).toBe('ok');
  const results = await Promise.all(Array.from({ length: 24 }, (_, i) => outcome(engine!.compile(literal(i)))));
  expect(results).toEqual(Array.from({ length: 24 }, () => 'ok'));
  expect(exits).toEqual([]);
}, 120_000);
