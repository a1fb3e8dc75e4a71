// A type stripper's thread slow to start (amaro took over 1.5 s to load on a busy machine: a
// migration's TypeScript tool failed "did not start") is waited for off the caller's thread by
// callers that can wait, and is left loading, not dropped, when a caller's own bound runs out.
import { expect, it } from 'vitest';

process.env.SE_TEST_STRIPPER_START_DELAY_MS = '2500'; // past STRIP_TIME_BOUND_MS
const { STRIP_TIME_BOUND_MS, stripTypes, typeStripperStarted } = await import('../../src/engine/source.ts');

it('a caller that waits for the start strips once the thread is ready; one that cannot is told to try again, and then can', async () => {
  expect(STRIP_TIME_BOUND_MS).toBeLessThan(2500);
  expect(() => stripTypes('const a: number = 1;')).toThrow(/did not start within 1500 ms; try again/);
  // The thread was left loading: waiting for it finds it ready, not a new one starting as slowly.
  await typeStripperStarted();
  expect(stripTypes('const a: number = 1;')).toBe('const a         = 1;');
}, 20_000);

it('a worker compiling TypeScript waits for its slow stripper rather than failing the compile', async () => {
  const { startEngine } = await import('./helpers.ts');
  const engine = await startEngine({ workers: 1, enableTestHooks: true }); // its worker is told the slow start
  try {
    const compiled = await engine.compile('const n: number = 2;\nexport default () => n * 21;', { language: 'typescript' });
    expect((compiled.diagnostics ?? []).filter((d) => d.severity === 'error')).toEqual([]);
  } finally {
    await engine.close();
  }
}, 30_000);

it('a run of TypeScript not compiled yet waits for its slow stripper too', async () => {
  const { run, startEngine } = await import('./helpers.ts');
  const engine = await startEngine({ workers: 1, enableTestHooks: true });
  try {
    const r = await run(engine, 'const n: number = 2;\nexport default () => n * 21;', { language: 'typescript' } as never);
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toBe(42);
  } finally {
    await engine.close();
  }
}, 30_000);
