// A worker whose room for parked executions (max_parked) is full keeps the next waiting execution in
// its slot, and sent no `parked` for it: the host took it for guest code holding the worker's thread,
// and so took the parked ones beside it for held behind it (and would answer them itself at their
// limit, their own answers dropped). The worker now says the execution kept its slot and holds no thread.
import { afterEach, expect, it } from 'vitest';
import type { WorkerHandle } from '../../src/engine/supervisor.ts';
import type { ExecMsg } from '../../src/engine/protocol.ts';
import { until } from '../helpers/until.ts';
import { spawnWorker } from './helpers.ts';

const workers: WorkerHandle[] = [];
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.shutdown(true))); }, 20_000);

const waiting = (id: number): ExecMsg => ({
  t: 'exec', id, code: 'export default async function main(a, ctx) { await ctx.tools.hold({}); }', compiled: false, language: 'javascript', kind: 'module',
  filename: `wait${id}.js`, cacheKey: `wait${id}`, tools: ['hold'], profile: false,
  payload: JSON.stringify({ args: {}, env: {}, user: null, tools: ['hold'], executionId: `e${id}`, scriptId: '' }),
  limits: { memoryMb: 32, wallTimeoutMs: 60_000, cpuBudgetMs: 60_000, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10 },
});

it('an execution kept in its slot (max_parked full) is not taken for a holder of the thread', async () => {
  const w = spawnWorker('kept-slot', { maxParked: 1 });
  workers.push(w);
  await w.ready;
  let calls = 0;
  const runs = [1, 2].map((id) => w.exec(waiting(id), 600_000, () => { calls++; }).catch(() => undefined));
  await until('both executions called their tool', () => calls === 2 && w.parked.has(1));
  // The second waits in its slot (the room of one is taken by the first): no thread held by it.
  expect(w.parked.has(2)).toBe(false);
  await until('the first is no longer taken for held behind the second', () => !w.heldBehind(1));
  w.kill('test over');
  await Promise.all(runs);
}, 30_000);
