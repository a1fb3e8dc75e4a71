// On a single-isolate worker, a registered tool's run starts at once when it arrives (its caller waits
// on it), before an execution the host had just sent and counts as started but the worker had not
// begun yet (it begins queued ones from setImmediate). Spinning, the tool run held the thread past
// that execution's host deadline: the watchdog took the worker for hung on it, blamed it with an
// uninterruptible timeout and struck its caller. Its deadline now moves by what the tool run may hold.
import { afterEach, expect, it } from 'vitest';
import type { WorkerHandle } from '../../src/engine/supervisor.ts';
import { spawnWorker } from './helpers.ts';
import type { ExecMsg } from '../../src/engine/protocol.ts';
import { until } from '../helpers/until.ts';

const workers: WorkerHandle[] = [];
afterEach(async () => { await Promise.all(workers.splice(0).map((w) => w.shutdown(true))); }, 20_000);

const msg = (id: number, code: string, limits: { wallTimeoutMs: number; cpuBudgetMs: number }, nested?: true): ExecMsg => ({
  t: 'exec', id, code, compiled: false, language: 'javascript', filename: `m${id}.js`, cacheKey: `k${id}`, nested,
  payload: JSON.stringify({ args: {}, env: {}, user: null, tools: [], executionId: `e${id}`, scriptId: '' }), tools: [], profile: false,
  limits: { memoryMb: 32, maxOutputBytes: 4096, maxReturnBytes: 4096, maxReturnValueBytes: 0, maxToolPayloadBytes: 4096, maxToolCalls: 10, ...limits },
});

it('an execution the worker has not begun is not taken for hung while a tool run sent just after it spins first', async () => {
  const w = spawnWorker('ahead');
  workers.push(w);
  await w.ready;
  // Both in one write: the worker reads them in one batch and starts the tool run first.
  const plain = w.exec(msg(1, 'export default () => "ran"', { wallTimeoutMs: 300, cpuBudgetMs: 300 }), 200, () => {});
  plain.catch(() => {}); // failed, the assertions below say so
  const tool = w.exec(msg(2, 'export default () => { const end = Date.now() + 1500; while (Date.now() < end); return "spun"; }', { wallTimeoutMs: 3000, cpuBudgetMs: 3000 }, true), 200, () => {});
  // Past the plain execution's own limit and grace, the tool run still spinning (no answer yet).
  let answered = false;
  tool.then(() => { answered = true; }, () => {});
  await new Promise((r) => setTimeout(r, 700));
  // The first look past the deadline marks the worker's CPU time; the next, after it has run on by
  // more than the grace, would call it hung.
  expect(w.hungPast(Date.now(), 60_000)).toBeUndefined();
  const cpu = w.cpuNow();
  await until('the worker has run on past the grace', () => w.ranOn(cpu, 300, w.cpuNow()));
  expect(answered, 'the tool run still spins').toBe(false);
  expect(w.hungPast(Date.now(), 60_000)).toBeUndefined();
  const [p, t] = await Promise.all([plain, tool]);
  expect([p.outcome.ok, p.outcome.returnJson]).toEqual([true, '"ran"']);
  expect([t.outcome.ok, t.outcome.returnJson]).toEqual([true, '"spun"']);
}, 30_000);
