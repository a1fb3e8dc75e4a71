import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine } from './helpers.ts';

// A typed array's join (and its toString) made every element a string in a loop of V8's, deaf to the
// time limit: a Float64Array(6e6) joined in a loop held a worker until it was replaced. And console.log
// printed a typed array inside an object as JSON, every index a key: one of 1e6 bytes took a line of 8 MB,
// one of 4e7 "[object Object]" (past the key bound) or, at a limit holding that many keys, a worker
// until it was replaced.

let engine: Engine;
const exits: { reason: string }[] = [];
beforeAll(async () => { engine = await startEngine({ workers: 1, onWorkerExit: (e) => exits.push(e) }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);
// Each test asserts no worker was replaced while it ran.
beforeEach(() => { exits.length = 0; });

const limits = { wallTimeoutMs: 20_000, maxOutputBytes: 64 * 1024, maxReturnBytes: 64 * 1024 };
/** What V8 itself (this process's, the isolates') makes of a classic script, as the result's JSON: the prelude must not change it. */
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)) ?? 'null');

describe('typed array join', () => {
  it('of a long Float64Array in a loop ends at the time limit, its worker not replaced', async () => {
    // Filled by copies of 65,536 values (V8's copy is quick): the join, not the filling, is what the time limit must reach.
    const source = `const a = new Float64Array(183 * 65536), s = new Float64Array(65536).map((_, i) => Math.sin(i));
      for (let at = 0; at < a.length; at += s.length) a.set(s, at);
      let n = 0;
      for (;;) n += a.join().length;`;
    const r = await run(engine, source, { limits: { ...limits, memoryBytes: 512 * MiB, wallTimeoutMs: 1500 } as never });
    expect(r.error?.kind, JSON.stringify(r.error)).toBe('timeout');
    expect(r.error!.message).not.toContain('its worker was replaced');
    expect(exits).toEqual([]);
    await expectHealthy(engine);
  }, 30_000);

  it('answers as V8 does', async () => {
    const source = `const N = 140000, out = [];
      const digest = (t) => { let h = 2166136261; for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619); return [t.length, h >>> 0]; };
      const err = (f) => { try { return digest(f()); } catch (e) { return [e.name, e.message]; } };
      const f64 = new Float64Array(N).map((_, i) => (i % 5 === 0 ? -0 : i % 7 === 0 ? NaN : i % 11 === 0 ? -Infinity : Math.sin(i) * 10 ** (i % 30 - 10)));
      const arrays = [f64, new Float32Array(f64), new Float16Array(f64), new Int8Array(N).map((_, i) => i), new Uint8Array(N).map((_, i) => i),
        new Uint8ClampedArray(N).fill(255), new Int16Array(N).map((_, i) => -i), new Uint16Array(N).map((_, i) => i * 3), new Int32Array(N).map((_, i) => i * -7919),
        new Uint32Array(N).map((_, i) => i * 104729), new BigInt64Array(N).map((_, i) => BigInt(i) * -(2n ** 40n) - 1n), new BigUint64Array(N).map((_, i) => 2n ** 64n - 1n - BigInt(i)),
        new Uint16Array(f64.buffer, 6, N + 1000), new Float64Array(f64.buffer, 8 * 70000)];
      for (const a of arrays) out.push(a.constructor.name, digest(a.join()), digest(a.join(' | ')));
      out.push(digest(f64.join(undefined)), digest(f64.join('')), digest(f64.join({ toString() { return '<>'; } })), digest(f64.join(0)),
        digest(String(f64)), digest(f64.toString()), digest(\`\${f64}\`), digest([f64, f64].join(';')));
      class Sub extends Int32Array {}
      const sub = new Sub(N).fill(-1);
      Object.defineProperty(sub, 'length', { value: 3 });
      out.push(digest(sub.join()), err(() => f64.join(Symbol())), err(() => f64.join({ toString() { throw new RangeError('sep'); } })),
        err(() => Object.getPrototypeOf(Uint8Array.prototype).join.call(Array.from({ length: N }, (_, i) => i))),
        err(() => Uint8Array.prototype.join.call(new Proxy(f64, {}))));
      // A resizable buffer: a length-tracking view, one grown and one shrunk (and so out of bounds) by the separator's toString.
      const rb = new ArrayBuffer(N, { maxByteLength: 2 * N }), tracking = new Uint8Array(rb).fill(7), fixed = new Uint8Array(rb, 10, N - 100).fill(3);
      out.push(digest(tracking.join()), digest(tracking.join({ toString() { rb.resize(2 * N); return '+'; } })), tracking.length,
        digest(fixed.join({ toString() { rb.resize(N / 2); return '-'; } })), digest(tracking.join({ toString() { rb.resize(N / 4); return '~'; } })));
      // A buffer detached by the separator's toString: every element is undefined, ''.
      const d = new Float64Array(N).fill(1.5);
      out.push(digest(d.join({ toString() { d.buffer.transfer(); return ','; } })), err(() => d.join()));
      out`;
    const r = await run(engine, source, { limits: { ...limits, memoryBytes: 128 * MiB, wallTimeoutMs: 60_000 } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual(native(source));
    expect(exits).toEqual([]);
    await expectHealthy(engine);
  }, 120_000);
});

describe('console.log of a typed array inside an object', () => {
  const dots = (n: number, x: string) => Array(n).fill(x).join(', ');
  it('of 4e7 bytes prints as a top-level one does', async () => {
    const r = await run(engine, 'console.log({ a: new Uint8Array(4e7) }, [1, [new Uint8Array(4e7)]]);\n1', { limits: { ...limits, memoryBytes: 96 * MiB } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    const text = `Uint8Array(40000000) [${dots(100, '0')}, ... 39999900 more items]`;
    expect(r.stdout).toBe(`{"a":"${text}"} [1,["${text}"]]\n`);
    expect(exits).toEqual([]);
    await expectHealthy(engine);
  }, 30_000);

  it('of a million bytes, of BigInts and beside DataViews, Proxies and ordinary values', async () => {
    const source = `const u = new Uint8Array(1e6).fill(9), p = new Proxy(new Uint8Array([1, 2]), {});
      console.log({ u, b: [new BigInt64Array([-5n, 2n ** 63n - 1n])], f: new Float64Array([-0, NaN, 1.5]).subarray(0, 2), e: new Int8Array(0) });
      console.log({ d: new DataView(new ArrayBuffer(2)), p, n: null, s: 'x', a: [1, 'two', { three: 3 }], t: true }, [u.subarray(1e6 - 101)]);
      const cyclic = { x: new Uint16Array(3) }; cyclic.self = cyclic;
      console.log(cyclic, { toJSON() { return new Int32Array([7]); } });
      1`;
    const r = await run(engine, source, { limits: { ...limits, memoryBytes: 96 * MiB } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.stdout.split('\n')).toEqual([
      `{"u":"Uint8Array(1000000) [${dots(100, '9')}, ... 999900 more items]","b":["BigInt64Array(2) [-5n, 9223372036854775807n]"],` +
        '"f":"Float64Array(2) [-0, NaN]","e":"Int8Array(0) []"}',
      `{"d":{},"p":{"0":1,"1":2},"n":null,"s":"x","a":[1,"two",{"three":3}],"t":true} ["Uint8Array(101) [${dots(100, '9')}, ... 1 more item]"]`,
      '{"x":"Uint16Array(3) [0, 0, 0]","self":"[Circular]"} "Int32Array(1) [7]"',
      '',
    ]);
    expect(exits).toEqual([]);
    await expectHealthy(engine);
  }, 30_000);
});

// A thrown value with no name or message is described as JSON: a typed array in it listed every index as a
// key too (throw { a: new Uint8Array(1.5e7) } at 1 GiB held a worker until it was replaced).
describe('a thrown typed array', () => {
  it('is described as console.log prints it, inside an object as a JSON string', async () => {
    const dots = Array(100).fill('0').join(', ');
    const cases: [string, string][] = [
      ['{ a: new Uint8Array(1e6), b: [new BigUint64Array([1n])] }', `{"a":"Uint8Array(1000000) [${dots}, ... 999900 more items]","b":["BigUint64Array(1) [1n]"]}`],
      ['new Int16Array([1, -2])', 'Int16Array(2) [1, -2]'],
      ['{ d: new DataView(new ArrayBuffer(1)), code: 7 }', '{"d":{},"code":7}'],
    ];
    for (const [thrown, message] of cases) {
      const r = await run(engine, `export default () => { throw ${thrown} }`, { limits: { ...limits, memoryBytes: 96 * MiB } as never });
      expect(r.error, thrown).toMatchObject({ kind: 'script_threw', name: 'Uncaught', message });
    }
    expect(exits).toEqual([]);
    await expectHealthy(engine);
  }, 30_000);
});
