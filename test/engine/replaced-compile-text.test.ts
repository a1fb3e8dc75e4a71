// A worker replaced under a compilation and an execution fails each with words of its own: the
// compilation's WORKER_CRASHED said "the execution did not complete" (seen by CompileScript callers
// whose retries ran out, and in ScriptCompiled's detail).
import { afterEach, expect, it } from 'vitest';
import type { WorkerHandle } from '../../src/engine/supervisor.ts';
import { spawnWorker } from './helpers.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { ExecMsg } from '../../src/engine/protocol.ts';

const workers: WorkerHandle[] = [];
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.shutdown(true))); }, 20_000);

it('a replaced worker fails its compilation as a compilation and its execution as an execution', async () => {
  const w = spawnWorker('replaced');
  workers.push(w);
  await w.ready;
  const exec: ExecMsg = {
    t: 'exec', id: 1, code: 'export default function main() { for (;;) {} }', compiled: false, language: 'javascript', filename: 'spin.js', cacheKey: 'spin',
    payload: JSON.stringify({ args: {}, env: {}, user: null, tools: [], executionId: 'e1', scriptId: '' }), tools: [], profile: false,
    limits: { memoryMb: 32, wallTimeoutMs: 10_000, cpuBudgetMs: 10_000, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10 },
  };
  const ran = w.exec(exec, 20_000, () => {}).then(() => undefined, (e: unknown) => e);
  const compiled = w.compile({ t: 'compile', id: 2, source: 'export default () => 1', language: 'javascript', filename: 'one.js' }, 20_000)
    .then(() => undefined, (e: unknown) => e);
  w.kill('was stopped on purpose');
  const [execErr, compileErr] = await Promise.all([ran, compiled]);
  expect(execErr).toBeInstanceOf(EngineError);
  expect(compileErr).toBeInstanceOf(EngineError);
  expect([(execErr as EngineError).reason, (execErr as Error).message]).toEqual(['WORKER_CRASHED', 'worker replaced was stopped on purpose; the execution did not complete (retryable)']);
  expect([(compileErr as EngineError).reason, (compileErr as Error).message]).toEqual(['WORKER_CRASHED', 'worker replaced was stopped on purpose; the compilation did not complete (retryable)']);
}, 30_000);
