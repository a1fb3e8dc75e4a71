import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, run, startEngine } from './helpers.ts';

// An error thrown with a cause (new Error(m, { cause })) was told without it: the caller read
// "startup failed" and nothing of the JSON.parse error under it. Its causes now come with it, and
// console prints them as Node.js does.

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const thrown = async (source: string) => {
  const r = await run(engine, source);
  expect(r.success).toBe(false);
  return r.error!;
};
const brief = (c: { name: string; message: string }) => `${c.name}|${c.message}`;

describe('a thrown error with causes', () => {
  it('carries its chain, nearest first, each with its own stack and line', async () => {
    const e = await thrown(`export default async function main() {
  try {
    try { JSON.parse('{') } catch (e) { throw new TypeError('config unreadable', { cause: e }) }
  } catch (e) {
    throw new Error('startup failed', { cause: e })
  }
}`);
    expect(brief(e)).toBe('Error|startup failed');
    expect(e.line).toBe(5);
    expect(e.causes?.map(brief)).toEqual(['TypeError|config unreadable', expect.stringMatching(/^SyntaxError\|Expected property name/)]);
    expect(e.causes?.map((c) => c.line)).toEqual([3, 3]);
    expect(e.causes?.[0]!.stack).toMatch(/^TypeError: config unreadable\n {4}at main \(script\.js:3:\d+\)$/);
    expect(e.causes?.[1]!.stack).toMatch(/\n {4}at main \(script\.js:3:\d+\)$/);
  });

  it('is told the same thrown at the top level of a plain script', async () => {
    const e = await thrown(`const low = new RangeError('too low');\nthrow new Error('bad input', { cause: low })`);
    expect(e.causes?.map(brief)).toEqual(['RangeError|too low']);
    expect(e.causes?.[0]!.line).toBe(1);
  });

  it('has no causes when none was given, and one holding undefined when cause was set to it', async () => {
    expect((await thrown(`throw new Error('plain')`)).causes).toBeUndefined();
    expect((await thrown(`throw new Error('x', { cause: undefined })`)).causes?.map(brief)).toEqual(['|undefined']);
  });

  it('tells a cause that is no Error by its JSON or its text, unnamed', async () => {
    const e = await thrown(`throw new Error('a', { cause: { code: 42, path: '/x' } })`);
    expect(e.causes).toEqual([{ name: '', message: '{"code":42,"path":"/x"}', stack: '', line: 0, column: 0 }]);
    expect((await thrown(`throw new Error('a', { cause: 'disk full' })`)).causes?.map(brief)).toEqual(['|disk full']);
    expect((await thrown(`throw new Error('a', { cause: { name: 'HttpError', message: '503' } })`)).causes?.map(brief)).toEqual(['HttpError|503']);
  });

  it('stops at a cause met before, and after eight', async () => {
    expect((await thrown(`const e = new Error('self'); e.cause = e; throw e`)).causes).toBeUndefined();
    const loop = await thrown(`const a = new Error('a'), b = new Error('b', { cause: a }); a.cause = b; throw a`);
    expect(loop.causes?.map(brief)).toEqual(['Error|b']);
    const long = await thrown(`let e = new Error('e0'); for (let i = 1; i < 12; i++) e = new Error('e' + i, { cause: e }); throw e`);
    expect(long.causes?.map((c) => c.message)).toEqual(['e10', 'e9', 'e8', 'e7', 'e6', 'e5', 'e4', 'e3']);
  });

  it('ends the chain at a cause getter that throws, and is not misled by what the script put on Array.prototype', async () => {
    const e = await thrown(`const inner = new Error('inner'); Object.defineProperty(inner, 'cause', { get() { throw new Error('no') } });
throw new Error('outer', { cause: inner })`);
    expect(e.causes?.map(brief)).toEqual(['Error|inner']);
    const tampered = await thrown(`Array.prototype.toJSON = () => 'forged';
Object.defineProperty(Array.prototype, '0', { set(v) { throw new Error('set') }, configurable: true });
throw new Error('a', { cause: new Error('b') })`);
    expect(brief(tampered)).toBe('Error|a');
    expect(tampered.causes?.map(brief)).toEqual(['Error|b']);
  });

  it('stops a cause getter that spins at the time limit, and the worker serves the next run', async () => {
    const r = await run(engine, `const inner = {}; Object.defineProperty(inner, 'cause', { get() { for (;;); } });
throw new Error('outer', { cause: inner })`, { limits: { wallTimeoutMs: 1000 } as never });
    expect(r.error?.kind).toBe('timeout');
    await expectHealthy(engine);
  });
});

describe('an AggregateError', () => {
  it('brings its errors (Promise.any\'s rejections), its first 8, described as causes are', async () => {
    const e = await thrown(`export default async function main() {
  await Promise.any([Promise.reject(new TypeError('first down')), Promise.reject('second down')]);
}`);
    expect(brief(e)).toBe('AggregateError|All promises were rejected');
    expect(e.errors?.map(brief)).toEqual(['TypeError|first down', '|second down']);
    expect(e.errors?.[0]!.line).toBe(2);
    const many = await thrown(`throw new AggregateError(Array.from({ length: 12 }, (_, i) => new Error('e' + i)), 'many')`);
    expect(many.errors?.map((c) => c.message)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
    expect((await thrown(`throw new Error('plain')`)).errors).toBeUndefined();
  });

  it('ends the list at an element that throws, and stops one that spins at the time limit', async () => {
    const e = await thrown(`const list = [new Error('ok')]; Object.defineProperty(list, 1, { get() { throw new Error('no') } });
const a = new AggregateError([], 'a'); a.errors = list; throw a`);
    expect(e.errors?.map(brief)).toEqual(['Error|ok']);
    const r = await run(engine, `const a = new AggregateError([], 'a'); const list = []; Object.defineProperty(list, 0, { get() { for (;;); } }); a.errors = list; throw a`, { limits: { wallTimeoutMs: 1000 } as never });
    expect(r.error?.kind).toBe('timeout');
    await expectHealthy(engine);
  });
});

describe('console printing an error with causes', () => {
  const printed = async (source: string): Promise<string> => {
    const r = await run(engine, `${source}\n0`);
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    return r.stdout;
  };

  it('prints each cause indented inside braces, as Node.js does', async () => {
    const out = await printed(`const low = new TypeError('low'); console.log(new Error('top', { cause: low }))`);
    expect(out).toMatch(/^Error: top\n {4}at script\.js:1:\d+ \{\n {2}\[cause\]: TypeError: low\n {6}at script\.js:1:\d+\n\}\n$/);
  });

  it('prints an AggregateError\'s errors as Node.js does, after its cause', async () => {
    const out = await printed(`const a = new AggregateError([new Error('x'), 'y'], 'all', { cause: 'why' });
a.stack = 'AggregateError: all'; a.errors[0].stack = 'Error: x\\n    at f'; console.log(a)`);
    expect(out).toBe('AggregateError: all {\n  [cause]: "why",\n  [errors]: [\n    Error: x\n        at f,\n    "y"\n  ]\n}\n');
  });

  it('prints a cause that is no Error as console prints it inside an object, and a cycle as [Circular]', async () => {
    expect(await printed(`console.log(new Error('a', { cause: { code: 1 } }).toString(), new Error('a', { cause: 'why' }).cause)`)).toBe('Error: a why\n');
    const obj = await printed(`const e = new Error('a', { cause: { code: 1 } }); e.stack = 'Error: a'; console.log(e)`);
    expect(obj).toBe('Error: a {\n  [cause]: {"code":1}\n}\n');
    const revoked = await printed(`const r = Proxy.revocable({}, {}); r.revoke(); const e = new Error('a', { cause: r.proxy }); e.stack = 'Error: a'; console.log(e)`);
    expect(revoked).toMatch(/^Error: a \{\n {2}\[cause\]: .*\n\}\n$/);
    const cyc = await printed(`const a = new Error('a'), b = new Error('b', { cause: a }); a.cause = b; a.stack = 'A'; b.stack = 'B'; console.log(a)`);
    expect(cyc).toBe('A {\n  [cause]: B {\n    [cause]: [Circular]\n  }\n}\n');
  });
});

describe('a tool name a script asks for', () => {
  it('is quoted as JSON and clipped to 200 characters in its refusal', async () => {
    const r = await run(engine, `export default async function main(a, ctx) {
  try { await ctx.tools.call('a"\\nb' + 'x'.repeat(300), {}) } catch (e) { return [e.name, e.message] }
}`);
    const name = 'a"\nb' + 'x'.repeat(196) + '…';
    expect(r.returnValue).toEqual(['ToolNotAllowedError', `tool ${JSON.stringify(name)} is not available to this script`]);
  });
});
