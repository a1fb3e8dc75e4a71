// A script parked on its own registered tool's run, which holds the single-isolate worker's thread
// deaf to termination, fails with that tool's breach as its own ("its call of tool t took its worker
// down", ErrorInfo naming the tool): the host's answer at a parked script's time limit is for scripts
// held behind another execution, and took its own tool run for one ("held by another execution").
import { afterEach, expect, it } from 'vitest';
import type { Engine, ToolCallback } from '../../src/engine/index.ts';
import { safeLimits, startEngine } from './helpers.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close({ now: true }); engine = undefined; }, 20_000);

it("a script held by its own tool run gets the tool's breach, not the held-by-another timeout", async () => {
  const e = engine = await startEngine({ workers: 1, enableTestHooks: true });
  // The tool's run spins in the worker's main thread, deaf to termination (test hook).
  const tool: ToolCallback = async (_name, _args, tctx) => {
    const o = await e.execute({
      source: '1', limits: { ...safeLimits, tools: [], wallTimeoutMs: tctx.timeoutMs }, testHook: 'hang',
      parentExecutionId: tctx.executionId, executionId: `${tctx.executionId}/tool`, notCounted: true,
    }, tctx.signal);
    if (o.error) throw Object.assign(new Error(o.error.message), { tool: o.error.tool });
    return o.returnValue ?? null;
  };
  const r = await e.execute({
    source: 'export default async (a, ctx) => ctx.tools.t({})',
    limits: { ...safeLimits, tools: ['t'], wallTimeoutMs: 3000 }, caller: { key: 'bob', limit: 10 },
    onToolCall: tool,
  });
  expect(r.success).toBe(false);
  expect(r.error?.message, JSON.stringify(r.error)).toMatch(/took its worker down/);
  expect(r.error?.message).not.toContain('held by another execution');
}, 60_000);
