// A tool call's error carries the stack of the script's ctx.tools.x(...) call: made when the host
// answered, it showed only the prelude's frames (at toolError, settle, reply, api), and the caller
// got no line or column, so a script making many calls could not tell which one failed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine, ToolCallback } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine.close(); }, 20_000);

// Fails once the call has reached the host and a turn of its event loop has passed.
const onToolCall: ToolCallback = async (name) => {
  await new Promise((r) => setImmediate(r));
  throw new Error(`${name} broke`);
};
const job = { limits: { tools: ['net', 'other'] } as never, onToolCall, filename: 'site.js' };

it('an uncaught failure is placed on the line of the call that failed', async () => {
  const r = await run(engine, `export default async (a, ctx) => {
  await Promise.resolve();
  const first = ctx.tools.net({}).catch(() => 'caught');
  await first;
  await ctx.tools.call('other', 1);
}`, job);
  expect(r.error, JSON.stringify(r.error)).toMatchObject({ kind: 'tool_error', name: 'ToolError', message: 'tool "other" failed: other broke', line: 5, column: 19 });
  expect(r.error?.stack).toBe('ToolError: tool "other" failed: other broke\n    at default (site.js:5:19)');
});

it('the error a script catches starts at its own frames, not the prelude\'s', async () => {
  const r = await run(engine, `function fetchIt(ctx) {
  return ctx.tools.net({ n: 1 });
}
export default async (a, ctx) => {
  const stacks = [];
  // Nine at once: the ninth waits inside the script for one of the eight in flight to end.
  const calls = [];
  for (let i = 0; i < 9; i++) calls.push(fetchIt(ctx).catch((e) => e.stack));
  stacks.push(...await Promise.all(calls));
  try { await ctx.tools.call(5); } catch (e) { stacks.push(e.name + '|' + e.stack); }
  return stacks;
}`, job);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  const stacks = r.returnValue as string[];
  expect(stacks).toHaveLength(10);
  for (const s of stacks.slice(0, 9)) {
    // Below the script's frames, those that ran it (as in any error's stack); none of the tool machinery.
    expect(s).toMatch(/^ToolError: tool "net" failed: net broke\n    at fetchIt \(site\.js:2:20\)\n    at default \(site\.js:8:42\)\n/);
    expect(s).not.toMatch(/at (toolError|failedAt|settle|reply|sendTool|callTool|f) /);
  }
  expect(stacks[9]).toMatch(/^TypeError\|TypeError: the tool name must be a string, not number\n    at default \(site\.js:10:25\)/);
});

it('a call given a name that is no string is a TypeError the caller may catch, not a security refusal', async () => {
  const r = await run(engine, `export default async (a, ctx) => {
  await ctx.tools.call({ url: 'http://127.0.0.1/' });
}`, job);
  expect(r.error, JSON.stringify(r.error)).toMatchObject({ kind: 'script_threw', name: 'TypeError', message: 'the tool name must be a string, not object', line: 2, column: 19 });
});

it('an Error.prepareStackTrace the script set writes the stack, and one that throws leaves the error whole', async () => {
  const r = await run(engine, `export default async (a, ctx) => {
  const out = [];
  Error.prepareStackTrace = (e, sites) => e.name + ' at line ' + sites[0].getLineNumber();
  try { await ctx.tools.net(); } catch (e) { out.push(e.stack); }
  Error.prepareStackTrace = () => { throw new Error('no'); };
  try { await ctx.tools.net(); } catch (e) { out.push(e.name + ': ' + e.message); }
  Error.prepareStackTrace = undefined;
  try { await ctx.tools.call('nope'); } catch (e) { out.push(e.stack.split('\\n').slice(0, 2).join('\\n')); }
  return out;
}`, job);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toEqual([
    'ToolError at line 4',
    'ToolError: tool "net" failed: net broke',
    // Refused before reaching the host: placed on its line all the same.
    'ToolNotAllowedError: tool "nope" is not available to this script\n    at default (site.js:8:25)',
  ]);
});

it('a prepareStackTrace that throws, or an Object.prototype.get, leaves no prelude frames in the stack', async () => {
  const r = await run(engine, `export default async (a, ctx) => {
  const out = [];
  Error.prepareStackTrace = () => { throw new Error('no stacks here'); };
  try { await ctx.tools.net({}); } catch (e) { out.push(String(e.stack)); }
  Error.prepareStackTrace = undefined;
  Object.defineProperty(Object.prototype, 'get', { value: () => 1, configurable: true });
  try { await ctx.tools.net({}); } catch (e) { out.push(String(e.stack)); }
  delete Object.prototype.get;
  return out;
}`, job);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  const [thrown, withGet] = r.returnValue as string[];
  expect(thrown).toBe('ToolError: tool "net" failed: net broke');
  // (A script reading e.stack may see the prelude's async frames below its own, README.)
  expect(withGet.split('\n').slice(0, 2)).toEqual(['ToolError: tool "net" failed: net broke', '    at default (site.js:7:25)']);
  expect(withGet).not.toMatch(/toolError|failedAt|settle \(/);
});
