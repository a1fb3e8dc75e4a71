// The server's stderr is its log, one JSON object per line. What a worker writes there (V8's
// out-of-memory report, a last word before dying) used to be copied raw: text that is not JSON, and
// a chunk ending mid-line that the next server line was appended to. Each worker line is now a log
// line of its own, {"msg":"worker stderr","worker":…,"line":…}, clipped.
import { afterEach, expect, it, vi } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { WorkerHandle } from '../../src/engine/supervisor.ts';
import { run, startEngine } from './helpers.ts';

let worker: WorkerHandle | undefined;
let engine: Engine | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await worker?.shutdown();
  await engine?.close();
  worker = undefined;
  engine = undefined;
}, 30_000);

/** Everything written to this process's stderr meanwhile (not passed on). */
function captureStderr(): string[] {
  const writes: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  return writes;
}

/** Each write is whole JSON lines; their parsed objects. */
function jsonLines(writes: string[]): Record<string, unknown>[] {
  return writes.flatMap((w) => {
    expect(w.endsWith('\n'), JSON.stringify(w)).toBe(true);
    return w.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  });
}

it('what a worker writes to stderr reaches the server\'s stderr as JSON lines only, partial chunks included', async () => {
  worker = new WorkerHandle({
    workerId: 'w-stderr', isolates: 1, recycleAfter: 500, maxOldSpaceMb: 128, testHooks: false, defaultMemoryMb: 32,
    codeCacheBytes: 1 << 20, maxParked: 8, idleSlotMs: 30_000,
  });
  await worker.ready;
  const writes = captureStderr();
  const stderr = worker.child.stderr!;
  stderr.emit('data', Buffer.from('\n<--- Last few GCs --->\n\n[123:0x5555]      812 ms: Mark-Compact 60.1 (64.2) -> 59.8 (64.9) MB, pool'));
  process.stderr.write('{"level":"info","msg":"a server line meanwhile"}\n');
  stderr.emit('data', Buffer.from('ing 1.2 / 0.0 ms\n{"not":"from the server"}\nisolate catastrophic error: "quoted"\n'));
  const lines = jsonLines(writes);
  expect(lines).toEqual([
    expect.objectContaining({ level: 'warn', msg: 'worker stderr', worker: 'w-stderr', line: '<--- Last few GCs --->' }),
    { level: 'info', msg: 'a server line meanwhile' },
    expect.objectContaining({ msg: 'worker stderr', line: '[123:0x5555]      812 ms: Mark-Compact 60.1 (64.2) -> 59.8 (64.9) MB, pooling 1.2 / 0.0 ms' }),
    expect.objectContaining({ msg: 'worker stderr', line: '{"not":"from the server"}' }),
    expect.objectContaining({ msg: 'worker stderr', line: 'isolate catastrophic error: "quoted"' }),
  ]);
}, 30_000);

it('a worker that V8 aborts out of memory (its report on stderr) leaves only JSON lines on the server\'s stderr', async () => {
  engine = await startEngine({ workers: 1, enableTestHooks: true, workerMaxOldSpaceMb: 64 });
  const writes = captureStderr();
  const r = await run(engine, '1', { testHook: 'oom' });
  expect(r.error?.kind).toBe('memory_limit');
  const lines = jsonLines(writes);
  const worker = lines.filter((l) => l.msg === 'worker stderr');
  expect(worker.some((l) => /heap out of memory|Last few GCs|Reached heap limit/.test(String(l.line))), JSON.stringify(lines)).toBe(true);
}, 60_000);

// The server logs them through its logger (level, service): an engine given onWorkerStderr hands
// each line there instead of writing its own.
it('with onWorkerStderr, each line of a worker\'s stderr goes to it, named by worker, and nothing to stderr', async () => {
  const got: [string, string][] = [];
  engine = await startEngine({ workers: 1, enableTestHooks: true, workerMaxOldSpaceMb: 64, onWorkerStderr: (w, line) => got.push([w, line]) });
  const writes = captureStderr();
  const r = await run(engine, '1', { testHook: 'oom' });
  expect(r.error?.kind).toBe('memory_limit');
  expect(got.some(([w, line]) => /^w\d+$/.test(w) && /heap out of memory|Last few GCs|Reached heap limit/.test(line)), JSON.stringify(got)).toBe(true);
  expect(writes.filter((w) => w.includes('worker stderr'))).toEqual([]);
}, 60_000);
