// A worker past its RSS budget is replaced, and the execution holding its thread then was blamed for
// its memory (a memory_limit, a strike on its caller) whatever else the worker held. Tool runs park
// there unasked (test/engine/parked-tool-fanout.test.ts): one caller's parked tool runs filled a worker
// and an ordinary neighbour's script was blamed. The holder is now blamed only when the memory limits
// of the others started there fit the room the pool leaves executions (ROOM_SHARE of the budget).
import { afterEach, expect, it } from 'vitest';
import { ROOM_SHARE, type WorkerHandle } from '../../src/engine/supervisor.ts';
import type { ExecMsg } from '../../src/engine/protocol.ts';
import { until } from '../helpers/until.ts';
import { MiB, spawnWorker } from './helpers.ts';

const workers: WorkerHandle[] = [];
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.shutdown(true))); }, 20_000);

const limits = { wallTimeoutMs: 60_000, cpuBudgetMs: 60_000, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10 };
const exec = (id: number, memoryMb: number, extra: Partial<ExecMsg>): ExecMsg => ({
  t: 'exec', id, code: '', compiled: false, language: 'javascript', kind: 'module', filename: `run${id}.js`, cacheKey: `run${id}`, tools: [], profile: false,
  payload: JSON.stringify({ args: {}, env: {}, user: null, tools: extra.tools ?? [], executionId: `e${id}`, scriptId: '' }),
  limits: { memoryMb, ...limits }, ...extra,
});

it('a worker past its budget blames its thread holder only when the others started there fit their room', async () => {
  const w = spawnWorker('blame-room', { testHooks: true });
  workers.push(w);
  await w.ready;
  // Three tool runs of 64 MiB each, parked on a host tool that never answers.
  const waiting = 'export default async function main(a, ctx) { await ctx.tools.hold({}); }';
  const parked = [1, 2, 3].map((id) => w.exec(exec(id, 64, { code: waiting, tools: ['hold'], nested: true }), 600_000, () => {}).catch(() => undefined));
  await until('the tool runs are parked', () => w.parked.size === 3);
  // The holder: an ordinary run of 32 MiB holding the thread (the test hook, as a builtin would).
  const held = w.exec(exec(4, 32, { code: '1', language: 'javascript', kind: undefined, testHook: 'hang' }), 600_000, () => {}).catch(() => undefined);
  await until('the holder holds the thread', () => w.execs.get(4)?.started === true);
  const holder = w.execs.get(4)!;
  // 192 MiB of others: over the room of a 200 MiB budget, the holder's part is not known.
  const tight = 200 * MiB;
  expect(192 * MiB).toBeGreaterThan(tight * ROOM_SHARE);
  expect(w.blameMemory({ budgetBytes: tight })(4, holder)).toBeUndefined();
  // Inside the room of a 1 GiB budget, the others could not have filled it: the holder did.
  expect(w.blameMemory({ budgetBytes: 1024 * MiB })(4, holder)).toMatchObject({ kind: 'memory_limit' });
  // V8's own report (a heap exhausted) is the holder's whatever the others hold.
  expect(w.blameMemory({ report: true })(4, holder)).toMatchObject({ kind: 'memory_limit' });
  w.kill('test over');
  await Promise.all([...parked, held]);
}, 30_000);
