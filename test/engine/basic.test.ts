import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompileError, EngineError, type Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine(); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

describe('scripts', () => {
  it('runs a module main(args, ctx) with args, env and user', async () => {
    const r = await run(engine, `export default async function main(args, ctx) {
      return { n: args.n * 2, env: ctx.env.GREETING, user: ctx.user.user_id, hasProcess: typeof process };
    }`, { arguments: { n: 21 }, env: { GREETING: 'hi' }, user: { user_id: 'u1' } });
    expect(r.success).toBe(true);
    expect(r.returnValue).toEqual({ n: 42, env: 'hi', user: 'u1', hasProcess: 'undefined' });
    expect(r.metadata.workerId).toMatch(/^w\d+$/);
    expect(r.usage.memoryBytes).toBeGreaterThan(0);
  });

  it('runs an expression script whose last expression is the value', async () => {
    const r = await run(engine, 'const a = [1, 2, 3];\na.map((x) => x * x)');
    expect(r.returnValue).toEqual([1, 4, 9]);
    const p = await run(engine, 'Promise.resolve(7)');
    expect(p.returnValue).toBe(7);
    const u = await run(engine, 'undefined');
    expect(u.success).toBe(true);
    expect(u.returnValue).toBeUndefined();
  });

  it('strips TypeScript types and keeps line numbers', async () => {
    const r = await run(engine, `interface A { n: number }
export default async function main(args: A): Promise<number> {
  const x: number = args.n;
  if (x > 1) throw new RangeError('too big: ' + x);
  return x;
}`, { language: 'typescript', arguments: { n: 5 } });
    expect(r.success).toBe(false);
    expect(r.error).toMatchObject({ kind: 'script_threw', name: 'RangeError', message: 'too big: 5', line: 4 });
    expect(r.error!.stack).toContain('script.ts:4');
  });

  it('reports thrown errors with line and column, no host paths', async () => {
    const r = await run(engine, 'export default function main() {\n  const o = null;\n  return o.x;\n}', { filename: '/etc/secret/dir/my-script.js' });
    expect(r.success).toBe(false);
    expect(r.error).toMatchObject({ kind: 'script_threw', name: 'TypeError', line: 3 });
    expect(r.error!.stack).toContain('my-script.js:3');
    expect(r.error!.stack).not.toMatch(/\/work|\/etc|node_modules|file:/);
  });

  it('describes a thrown value that is no Error: its own name and message, else its JSON', async () => {
    const cases: [string, string, string][] = [
      ['{ code: 42, reason: "busy" }', 'Uncaught', '{"code":42,"reason":"busy"}'],
      ['[1, 2]', 'Uncaught', '[1,2]'],
      ['Object.create(null)', 'Uncaught', '{}'],
      ['{ name: "Custom", message: "m" }', 'Custom', 'm'],
      ['{ [Symbol.toPrimitive]() { for (;;) {} } }', 'Uncaught', '{}'],
      ['() => 1', 'Uncaught', '[object Function]'],
      ['42', 'Uncaught', '42'],
      ['"text"', 'Uncaught', 'text'],
    ];
    for (const [thrown, name, message] of cases) {
      const r = await run(engine, `export default () => { throw ${thrown} }`);
      expect(r.error, thrown).toMatchObject({ kind: 'script_threw', name, message });
    }
    // At a script's top level too: it is caught and described in the isolate, as inside main.
    const top = await run(engine, 'throw { code: 42 }');
    expect(top.error).toMatchObject({ kind: 'script_threw', name: 'Uncaught', message: '{"code":42}' });
  });

  it('rejects non-JSON return values clearly', async () => {
    for (const src of ['(() => () => 1)()', 'Symbol("x")', '10n', '(() => { const a = {}; a.self = a; return a; })()']) {
      const r = await run(engine, src);
      expect(r.success, src).toBe(false);
      expect(r.error!.kind, src).toBe('invalid_return_value');
    }
  });

  it('captures console to stdout/stderr', async () => {
    const r = await run(engine, 'console.log("a", 1, {b: 2}); console.info("i"); console.debug("d"); console.warn("w"); console.error(new Error("e").message); 0');
    expect(r.stdout).toBe('a 1 {"b":2}\ni\nd\n');
    expect(r.stderr).toBe('w\ne\n');
    expect(r.usage.operationsCount).toBe(5);
  });

  it('caps output exactly at the limit and marks one byte over', async () => {
    const at = await run(engine, 'console.log("123456789"); 0', { limits: { maxOutputBytes: 10 } as never });
    expect(at.stdout).toBe('123456789\n');
    const over = await run(engine, 'console.log("1234567890"); console.log("more"); 0', { limits: { maxOutputBytes: 10 } as never });
    expect(over.stdout).toBe('1234567890\n…[truncated 6 bytes]');
    const utf = await run(engine, 'console.error("ééééé"); 0', { limits: { maxOutputBytes: 5 } as never });
    expect(utf.stderr).toBe('éé\n…[truncated 7 bytes]');
    expect(utf.success).toBe(true);
  });

  it('caps the return value exactly at the limit', async () => {
    const at = await run(engine, '"12345678"', { limits: { maxReturnBytes: 10 } as never });
    expect(at.returnValue).toBe('12345678');
    const over = await run(engine, '"123456789"', { limits: { maxReturnBytes: 10 } as never });
    expect(over.success).toBe(false);
    expect(over.error!.kind).toBe('output_limit');
  });

  it('caps the return value as a google.protobuf.Value too, exactly at the limit, when asked', async () => {
    // [0,0] is 5 bytes of JSON and 24 as a Value: each number 9 bytes plus 2 of list entry, 2 for the list.
    const limits = (maxReturnValueBytes: number) => ({ limits: { maxReturnBytes: 100, maxReturnValueBytes } as never });
    const at = await run(engine, '[0, 0]', limits(24));
    expect([at.success, at.returnValue, at.returnValueBytes]).toEqual([true, [0, 0], 24]);
    const over = await run(engine, '[0, 0]', limits(23));
    expect(over.error).toMatchObject({ kind: 'output_limit', message: 'the return value is 24 bytes as a google.protobuf.Value, over the 23-byte limit' });
    // Unasked (a tool run returns JSON), only the JSON cap applies.
    expect((await run(engine, '[0, 0]', { limits: { maxReturnBytes: 100 } as never })).success).toBe(true);
  });

  it('offers a bounded setTimeout', async () => {
    const r = await run(engine, `export default async function main() {
      const order = [];
      const id = setTimeout(() => order.push('cancelled'), 5);
      clearTimeout(id);
      await new Promise((r) => setTimeout(() => { order.push('t'); r(); }, 10));
      return order;
    }`);
    expect(r.returnValue).toEqual(['t']);
  });

  it('takes a value returned synchronously as it was returned, and awaits promises and thenables', async () => {
    // A microtask queued before returning runs after the value was taken (it is no promise).
    const sync = await run(engine, `export default function main() {
      const o = { n: 1 }; Promise.resolve().then(() => { o.n = 2; }); return o;
    }`);
    expect(sync.returnValue).toEqual({ n: 1 });
    const thenable = await run(engine, '({ then(resolve) { resolve({ via: "then" }); } })');
    expect(thenable.returnValue).toEqual({ via: 'then' });
    const rejected = await run(engine, 'Promise.reject(new RangeError("no"))');
    expect(rejected.error).toMatchObject({ kind: 'script_threw', name: 'RangeError', message: 'no' });
    const badThen = await run(engine, '({ get then() { throw new TypeError("hostile then"); } })');
    expect(badThen.error).toMatchObject({ name: 'TypeError', message: 'hostile then' });
  });

  it('collects a CPU profile when asked', async () => {
    const r = await run(engine, 'let s = 0; for (let i = 0; i < 1e5; i++) s += i; s', { collectCpuProfile: true });
    expect(r.success).toBe(true);
    expect(JSON.parse(r.cpuProfile!)).toHaveProperty('nodes');
  });
});

describe('tools bridge', () => {
  const limits = { tools: ['echo', 'fail', 'slow'], maxToolPayloadBytes: 1024, toolTimeoutMs: 200 };
  const onToolCall = async (name: string, args: unknown) => {
    if (name === 'fail') throw new Error('upstream said no');
    if (name === 'slow') await new Promise((r) => setTimeout(r, 1000));
    if (name === 'echo' && (args as { big?: boolean })?.big) return 'x'.repeat(5000);
    return { name, args };
  };

  it('calls allowed tools by name and through call()', async () => {
    const r = await run(engine, `export default async function main(a, ctx) {
      return [await ctx.tools.echo({ q: 1 }), await ctx.tools.call('echo', [1, 'two'])];
    }`, { limits: limits as never, onToolCall });
    expect(r.returnValue).toEqual([{ name: 'echo', args: { q: 1 } }, { name: 'echo', args: [1, 'two'] }]);
    expect(r.usage.operationsCount).toBe(2);
  });

  it('stops a tool call still running when its execution ends', async () => {
    let signal: AbortSignal | undefined;
    const r = await run(engine, `export default async function main(a, ctx) {
      ctx.tools.wait({});
      await new Promise((r) => setTimeout(r, 50));
      return 'done';
    }`, {
      limits: { tools: ['wait'] } as never,
      onToolCall: async (_name, _args, info) => { signal = info.signal; await new Promise((r) => setTimeout(r, 2000)); },
    });
    expect(r.returnValue).toBe('done');
    expect(signal?.aborted).toBe(true);
  });

  it('refuses tools that are not allowed', async () => {
    const r = await run(engine, `export default async function main(a, ctx) {
      let caught = ''; try { await ctx.tools.call('http', {}); } catch (e) { caught = e.name + ': ' + e.message; }
      return [caught, typeof ctx.tools.http, await ctx.tools.call('fs', {})];
    }`, { limits: limits as never, onToolCall });
    expect(r.success).toBe(false);
    expect(r.error!.kind).toBe('security_violation');
    expect(r.error!.message).toContain('"fs" is not available');
  });

  it('surfaces tool failures as tool_error without host stacks', async () => {
    const r = await run(engine, 'export default async function main(a, ctx) { return await ctx.tools.fail({}) }', { limits: limits as never, onToolCall });
    expect(r.error).toMatchObject({ kind: 'tool_error', name: 'ToolError' });
    expect(r.error!.message).toContain('upstream said no');
    expect(r.error!.stack).not.toMatch(/\/work|node_modules/);
  });

  it('caps tool arguments and results, times tools out', async () => {
    const big = await run(engine, 'export default async function main(a, ctx) { return await ctx.tools.echo({ s: "x".repeat(2000) }) }', { limits: limits as never, onToolCall });
    expect(big.error).toMatchObject({ kind: 'tool_error' });
    expect(big.error!.message).toContain('exceed');
    const bigResult = await run(engine, 'export default async function main(a, ctx) { return await ctx.tools.echo({ big: true }) }', { limits: limits as never, onToolCall });
    expect(bigResult.error!.message).toContain('result exceeds');
    const slow = await run(engine, 'export default async function main(a, ctx) { return await ctx.tools.slow({}) }', { limits: limits as never, onToolCall });
    expect(slow.error!.message).toContain('timed out');
  });

  it('passes only JSON copies of hostile arguments', async () => {
    const seen: unknown[] = [];
    const r = await run(engine, `export default async function main(a, ctx) {
      const cyc = {}; cyc.self = cyc;
      const out = [];
      for (const arg of [cyc, { get x() { return 1; } }, new Proxy({}, { ownKeys() { return ['a']; }, getOwnPropertyDescriptor() { return { value: 1, enumerable: true, configurable: true }; } }), () => 1]) {
        try { out.push(await ctx.tools.echo(arg)); } catch (e) { out.push(e.name); }
      }
      return out;
    }`, { limits: limits as never, onToolCall: async (n, a) => { seen.push(a); return a ?? null; } });
    expect(r.success).toBe(true);
    // cycle and function: not JSON (refused in the isolate); getter: its value; Proxy without a get trap: {}.
    expect(r.returnValue).toEqual(['ToolError', { x: 1 }, {}, 'ToolError']);
    expect(seen).toEqual([{ x: 1 }, {}]);
  });
});

describe('compile and cache', () => {
  it('compiles, detects kind, reports syntax errors with position', async () => {
    const m = await engine.compile('export default async function main() { return 1 }');
    expect(m.kind).toBe('module');
    const e = await engine.compile('1 + 2', { language: 'typescript' });
    expect(e.kind).toBe('expression');
    await expect(engine.compile('const a = ;\n')).rejects.toBeInstanceOf(CompileError);
    const err = await engine.compile('let x = 1;\nlet y = );').catch((x) => x as CompileError);
    expect(err).toMatchObject({ line: 2 });
    await expect(engine.compile('import fs from "fs";\nexport default function main() {}')).rejects.toThrow(/imports are not available/);
    // One-liners (as typed into grpcurl) are modules too when export follows a statement.
    expect((await engine.compile('const k = 2; export default (a) => a.x * k')).kind).toBe('module');
    expect((await engine.compile('function f() { return 1 } export default f')).kind).toBe('module');
    expect((await run(engine, 'const k = 2; export default (a) => a.x * k', { arguments: { x: 21 } })).returnValue).toBe(42);
    expect((await engine.compile('const s = "see the export docs"; s')).kind).toBe('expression');
  });

  it('a TypeScript syntax error has its line and column too', async () => {
    const err = await engine.compile('let a = 1;\nlet b: = 2;', { language: 'typescript' }).catch((x) => x as CompileError);
    expect(err).toBeInstanceOf(CompileError);
    expect(err).toMatchObject({ line: 2, column: 8 });
    const unsupported = (await engine.compile('enum E { A }', { language: 'typescript' }).catch((x) => x)) as CompileError;
    expect(unsupported).toMatchObject({ line: 1, column: 1 });
    expect(unsupported.message).toMatch(/enum is not supported/);
  });

  it('TypeScript nested too deeply is refused, and TypeScript keeps working for everyone after it', async () => {
    // The type stripper's WebAssembly stack overflows; the trap used to break it for the whole worker.
    for (const depth of [1000, 3000, 10000]) {
      const err = (await engine.compile('('.repeat(depth) + '1' + ')'.repeat(depth), { language: 'typescript' }).catch((x) => x)) as CompileError;
      expect(err).toBeInstanceOf(CompileError);
      expect(err.message).toMatch(/nests too deeply/);
    }
    for (let i = 0; i < 4; i++) { // both workers
      const r = await run(engine, `const x: number = ${i}; x + 1`, { language: 'typescript' });
      expect(r.returnValue).toBe(i + 1);
    }
  });

  it('hits the cache after the first compile and misses for a different source', async () => {
    const src = `export default async function main() { return ${Math.random()} }`;
    const before = engine.stats();
    const a = await engine.compile(src);
    const b = await engine.compile(src);
    expect(a.cacheHit).toBe(false);
    expect(b.cacheHit).toBe(true);
    expect(b.sourceHash).toBe(a.sourceHash);
    const c = await engine.compile(src + ' ');
    expect(c.cacheHit).toBe(false);
    const r = await run(engine, src);
    expect(r.metadata.cacheHit).toBe(true);
    const s = engine.stats();
    expect(s.cacheHits - before.cacheHits).toBe(2);
    expect(s.cacheMisses - before.cacheMisses).toBe(2);
    expect(engine.invalidate(a.cacheKey)).toBe(true);
    expect((await engine.compile(src)).cacheHit).toBe(false);
  });

  it('rejects sources over the size limit', async () => {
    await expect(engine.compile('x'.repeat(2 * 1048576))).rejects.toBeInstanceOf(EngineError);
  });

  it('reports stats', () => {
    const s = engine.stats();
    expect(s.state).toBe('running');
    expect(s.workers).toBe(2);
    expect(s.executionsTotal).toBeGreaterThan(0);
    expect(s.latencyP50Ms).toBeGreaterThan(0);
  });
});

describe('several isolates per worker (guest code on the async path)', () => {
  let multi: Engine;
  beforeAll(async () => { multi = await startEngine({ workers: 1, isolatesPerWorker: 2, hangGraceMs: 10_000 }); }, 20_000);
  afterAll(async () => { await multi?.close(); }, 20_000);
  const onToolCall = async (name: string, args: unknown) => {
    await new Promise((r) => setTimeout(r, 20));
    return { name, args };
  };

  it('runs sync values, promises, timers and tool calls, two executions at once', async () => {
    const timers = `export default async function main(a) {
      const order = [];
      const id = setTimeout(() => order.push('cancelled'), 5);
      clearTimeout(id);
      await new Promise((r) => setTimeout(() => { order.push('late'); r(); }, 30));
      setTimeout(() => order.push('never awaited'), 10_000);
      order.push(a.tag);
      return order;
    }`;
    const tools = `export default async function main(a, ctx) {
      const one = await ctx.tools.echo({ q: 1 });
      let refused = ''; try { await ctx.tools.call('fs', {}); } catch (e) { refused = e.name; }
      return [one, refused];
    }`;
    const [t1, t2, tool, sync] = await Promise.all([
      run(multi, timers, { arguments: { tag: 'first' } }),
      run(multi, timers, { arguments: { tag: 'second' } }),
      run(multi, tools, { limits: { tools: ['echo'] } as never, onToolCall }),
      run(multi, '({ sum: 2 + 3 })'),
    ]);
    expect(t1.returnValue).toEqual(['late', 'first']);
    expect(t2.returnValue).toEqual(['late', 'second']);
    expect(tool.returnValue).toEqual([{ name: 'echo', args: { q: 1 } }, 'ToolNotAllowedError']);
    expect(sync.returnValue).toEqual({ sum: 5 });
  });

  it('stops a script that never settles at its wall-clock limit, and keeps serving', async () => {
    const r = await run(multi, 'new Promise(() => {})', { limits: { wallTimeoutMs: 300 } as never });
    expect(r.error!.kind).toBe('timeout');
    const spin = await run(multi, 'export default async function main() { await new Promise((r) => setTimeout(r, 5)); for (;;) {} }', { limits: { wallTimeoutMs: 400 } as never });
    expect(spin.error!.kind).toBe('timeout');
    expect((await run(multi, '({ ok: true })')).returnValue).toEqual({ ok: true });
  });

  it('stops a script that keeps calling the host at its wall-clock limit', async () => {
    // The worker stops each at the wall clock itself: not at the CPU budget (the whole wall time at
    // cpuShare 100, which a thread taking turns with host calls does not reach first), and not by
    // the host replacing a worker it took for hung (past hangGraceMs, wide for this engine, so a
    // loaded machine's late answer is not taken for that). When it stops is not asserted: timers
    // are late on a busy machine, the limit that fired is not.
    for (const source of ['for (;;) { try { console.log(1); } catch {} }', 'for (;;) clearTimeout(setTimeout(() => {}, 1e9));']) {
      const r = await run(multi, source, { limits: { wallTimeoutMs: 400 } as never });
      expect(r.error, source).toMatchObject({ kind: 'timeout', limit: 'wall_clock', message: 'the script exceeded its wall-clock limit of 400 ms' });
    }
    expect(multi.stats().workerRestarts).toBe(0);
  });
});

describe("latency percentiles", () => {
  it("are nearest-rank: p50 of [1, 100] is 1, p99 of a hundred values is the 99th", async () => {
    const { nearestRank } = await import("../../src/engine/pool.ts");
    expect(nearestRank([1, 100], 50)).toBe(1);
    expect(nearestRank([1, 100], 51)).toBe(100);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([nearestRank(hundred, 50), nearestRank(hundred, 95), nearestRank(hundred, 99), nearestRank(hundred, 100)]).toEqual([50, 95, 99, 100]);
    expect(nearestRank([7], 99)).toBe(7);
    expect(nearestRank([], 50)).toBe(0);
  });
});
