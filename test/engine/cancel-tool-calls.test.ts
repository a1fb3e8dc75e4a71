// A cancelled execution reaches nothing outside its isolate: a script that runs on in synchronous
// code past its cancel (its worker, holding parked neighbours, is not killed for it, and hears the
// cancel only once that code ends) finds its tool calls refused when it gets to them.
import { afterEach, expect, it } from 'vitest';
import type { Engine, ToolCallback } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

let engine: Engine | undefined;
afterEach(async () => { await engine?.close(); engine = undefined; }, 20_000);

const limits = { tools: ['gate', 'began', 'probe'], toolTimeoutMs: 10_000, wallTimeoutMs: 15_000 } as never;

it('a script spinning past its cancel, beside a parked neighbour, does not get to call its tool', async () => {
  engine = await startEngine({ workers: 1 });
  let release!: () => void;
  const gateOpen = new Promise<void>((r) => { release = r; });
  const calls: string[] = [];
  const onToolCall: ToolCallback = async (name) => {
    calls.push(name);
    if (name === 'gate') await gateOpen;
    return name;
  };
  // The neighbour parks on its tool until released: the worker then runs two executions.
  const neighbour = run(engine, 'export default async (a, ctx) => ctx.tools.gate()', { limits, onToolCall });
  const ctl = new AbortController();
  let spinning: Promise<unknown> = Promise.resolve();
  try {
    await until('the neighbour waits on its tool', () => calls.includes('gate'));
    spinning = run(engine, `export default (a, ctx) => {
      ctx.tools.began().catch(() => {});
      const t = Date.now(); while (Date.now() - t < 1500);
      return ctx.tools.probe().then(() => 'called', (e) => e.message);
    }`, { limits, onToolCall }, ctl.signal);
    await until('the spinning script runs', () => calls.includes('began'));
    ctl.abort();
    expect(((await spinning) as { error?: { kind?: string } }).error?.kind).toBe('cancelled');
    // Runs in that worker only once the spinning script has let go of it: by then it got to its call.
    expect((await run(engine, '"after"', { limits: { wallTimeoutMs: 15_000 } as never })).returnValue).toBe('after');
    expect(calls).toEqual(['gate', 'began']);
    release();
    expect((await neighbour).returnValue).toBe('gate');
  } finally {
    release();
    ctl.abort();
    await settle([neighbour, spinning]);
  }
});
