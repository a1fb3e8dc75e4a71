// A registered tool's run sent to a single-isolate worker while guest code holds that worker's one
// thread (another caller's script, or the calling script itself, spinning after an unawaited tool
// call) waits unread in the pipe and runs nothing. The host counted its time from the send: past
// the tool run's limit and grace, the watchdog took the worker for hung on a tool run that never
// began, replaced it (its neighbours failed WORKER_CRASHED), and handed the "breach" to the tool's
// caller, with a strike. The worker now says when it begins a tool run; one whose call timed out
// before that is dropped unbegun, and its caller gets the catchable timeout of its tool call.
import { afterEach, expect, it } from 'vitest';
import type { Engine, EngineOptions, ToolCallback, WorkerExit } from '../../src/engine/index.ts';
import { expectHealthy, parkedNeighbour, run, safeLimits, startEngine } from './helpers.ts';
import { until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close({ now: true }); engine = undefined; }, 20_000);

const TOOL_TIMEOUT_MS = 500;

/** One single-isolate worker, short hang grace, a breaker striking at the first replacement. */
async function oneWorker(extra: EngineOptions = {}) {
  const exits: WorkerExit[] = [];
  const refused: string[] = [];
  const e = engine = await startEngine({
    workers: 1, hangGraceMs: 500, maxWorkerKillsPerCaller: 1,
    onWorkerExit: (x) => exits.push(x), onCallerRefused: (x) => refused.push(x.caller), ...extra,
  });
  return { e, exits, refused };
}

/** A registered tool as the tools registry runs one: a nested execution on its caller's worker. */
const toolRun = (e: Engine, before: () => Promise<void> = async () => {}): ToolCallback => async (_name, _args, tctx) => {
  await before();
  const o = await e.execute({
    source: 'export default () => "tool ran"', kind: 'module',
    limits: { ...safeLimits, tools: [], wallTimeoutMs: tctx.timeoutMs },
    parentExecutionId: tctx.executionId, executionId: `${tctx.executionId}/tool`, notCounted: true,
  }, tctx.signal);
  if (o.error) throw new Error(o.error.message);
  return o.returnValue ?? null;
};

const TIMED_OUT = new RegExp(`tool "t" timed out after ${TOOL_TIMEOUT_MS} ms \\(its operation_timeout\\)`);

it("another caller's script holding the thread while a tool run waits in the pipe replaces no worker and strikes nobody", async () => {
  const { e, exits, refused } = await oneWorker();
  // Mallory's script tells the host (a tool call, sent synchronously) once it holds the thread.
  let malloryHolds!: () => void;
  const holding = new Promise<void>((r) => { malloryHolds = r; });
  const victim = e.execute({
    source: 'export default async (a, ctx) => { try { return await ctx.tools.t({}); } catch (err) { return "caught: " + err.message; } }',
    limits: { ...safeLimits, tools: ['t'], wallTimeoutMs: 20_000, toolTimeoutMs: TOOL_TIMEOUT_MS }, caller: { key: 'victim', limit: 10 },
    // The tool run is sent only once mallory's script spins on the worker's thread.
    onToolCall: toolRun(e, () => holding),
  });
  await until('the victim waits on its tool call', () => e.stats().parkedExecutions === 1, { seen: () => e.stats() });
  const mallory = e.execute({
    source: 'export default (a, ctx) => { ctx.tools.mark({}); const end = Date.now() + 3500; while (Date.now() < end); return "spun"; }',
    limits: { ...safeLimits, tools: ['mark'], wallTimeoutMs: 20_000 }, caller: { key: 'mallory', limit: 10 },
    onToolCall: async () => { malloryHolds(); return null; },
  });
  const [v, m] = await Promise.all([victim, mallory]);
  expect(m.error, JSON.stringify(m.error)).toBeUndefined();
  expect(m.returnValue).toBe('spun');
  // Its call timed out while the tool run waited: a tool error the script caught, no breach of its own.
  expect(v.error, JSON.stringify(v.error)).toBeUndefined();
  expect(v.returnValue).toMatch(TIMED_OUT);
  expect(exits).toEqual([]);
  expect(e.stats().workerRestarts).toBe(0);
  expect(refused).toEqual([]);
  // Nobody was struck: both callers are still admitted (one strike would refuse them now).
  await until('the worker dropped the tool run it never began', () => e.stats().busyIsolates === 0, { seen: () => e.stats() });
  expect((await run(e, '"again"', { caller: { key: 'victim', limit: 10 } })).returnValue).toBe('again');
  expect((await run(e, '"again"', { caller: { key: 'mallory', limit: 10 } })).returnValue).toBe('again');
  expect(exits).toEqual([]);
}, 60_000);

it('a script that starts a tool call and then computes within its limits gets the call\'s timeout; no worker replaced, neighbours unharmed', async () => {
  const { e, exits, refused } = await oneWorker();
  // Another caller's run, parked on a timer on the same worker.
  const neighbour = parkedNeighbour(e, 4000);
  neighbour.catch(() => {}); // failed, the assertions below say so
  await until('the neighbour is parked', () => e.stats().parkedExecutions === 1, { seen: () => e.stats() });
  const culprit = await e.execute({
    source: `export default async (a, ctx) => {
      const p = ctx.tools.t({}).catch((err) => "caught: " + err.message);
      const end = Date.now() + 2500; while (Date.now() < end);
      return await p;
    }`,
    limits: { ...safeLimits, tools: ['t'], wallTimeoutMs: 20_000, toolTimeoutMs: TOOL_TIMEOUT_MS }, caller: { key: 'culprit', limit: 10 },
    onToolCall: toolRun(e),
  });
  expect(culprit.error, JSON.stringify(culprit.error)).toBeUndefined();
  expect(culprit.returnValue).toMatch(TIMED_OUT);
  const n = await neighbour;
  expect(n.error, JSON.stringify(n.error)).toBeUndefined();
  expect(n.returnValue).toBe('neighbour ok');
  expect(exits).toEqual([]);
  expect(e.stats().workerRestarts).toBe(0);
  expect(refused).toEqual([]);
  expect((await run(e, '"again"', { caller: { key: 'culprit', limit: 10 } })).returnValue).toBe('again');
  await expectHealthy(e);
  expect(exits).toEqual([]);
}, 60_000);
