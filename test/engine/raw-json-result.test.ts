// A JSON.rawJSON number out of double range reached the host as Infinity, which no google.protobuf.Value
// carries (Connect answered INTERNAL, gRPC an Infinity): the result and a tool's arguments refuse it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it('a returned rawJSON number out of double range is INVALID_RETURN_VALUE naming it', async () => {
  for (const [source, shown] of [
    ['({ big: JSON.rawJSON("1e400") })', 'JSON.rawJSON("1e400")'],
    ['[1, JSON.rawJSON("-1e309")]', 'JSON.rawJSON("-1e309")'],
    ['JSON.rawJSON("1".repeat(3000))', 'JSON.rawJSON("' + '1'.repeat(40) + '…")'],
    ['export default async () => ({ a: { b: JSON.rawJSON("9e999") } })', 'JSON.rawJSON("9e999")'],
  ]) {
    const r = await run(engine, source);
    expect(r.success, source).toBe(false);
    expect(r.error?.kind, source + ': ' + JSON.stringify(r.error)).toBe('invalid_return_value');
    expect(r.error?.message).toBe(`the return value is not JSON: ${shown} is a number out of double range`);
  }
});

it('rawJSON within double range is returned as before; the script\'s own JSON.stringify keeps its text', async () => {
  const r = await run(engine, '[JSON.rawJSON("123456789012345678901234567890"), JSON.rawJSON("\\"x\\""), JSON.rawJSON("1e308"), JSON.rawJSON("true"), JSON.stringify({ n: JSON.rawJSON("1e400") })]');
  expect(r.returnValue, JSON.stringify(r.error)).toEqual([1.2345678901234568e29, 'x', 1e308, true, '{"n":1e400}']);
});

it('a tool is never handed such a number: its call is refused as not JSON', async () => {
  const seen: unknown[] = [];
  const r = await run(engine, `export default async function main(a, ctx) {
    try { await ctx.tools.echo({ big: JSON.rawJSON("1e400") }); return "called"; } catch (e) { return e.name + ": " + e.message; }
  }`, { limits: { tools: ['echo'] } as never, onToolCall: async (_n, args) => { seen.push(args); return args ?? null; } });
  expect(r.returnValue, JSON.stringify(r.error)).toBe('ToolError: tool "echo": arguments must be JSON (JSON.rawJSON("1e400") is a number out of double range)');
  expect(seen).toEqual([]);
});
