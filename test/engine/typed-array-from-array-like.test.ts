import { describe, expect, it } from 'vitest';
import { MiB, run } from './helpers.ts';
import { expectEndsBesideNeighbour, oneWorker, safeAt1s } from './one-worker.ts';

// V8 copies an array-like, or an Array it iterates itself (a holey one too), into a typed array in a loop
// deaf to the time limit: at Safe, new Uint8Array({ length: 4.5e7 }) and Uint8Array.from of it held a
// worker ~4.5 s past a 1 s limit until it was replaced, and the executions parked in it failed with it
// (at 256 MiB, 1e8 elements held one 6 s).

const { engine: eng, exits } = oneWorker();

describe('typed arrays made or set from a long array-like', () => {
  const cases: [string, string, number][] = [
    ['new Uint8Array({ length: 1e8 })', 'new Uint8Array({ length: 1e8 }).length', 256],
    ['Uint8Array.from({ length: 1e8 })', 'Uint8Array.from({ length: 1e8 }).length', 256],
    ['set({ length: 1e8 })', 'const t = new Uint8Array(1e8); t.set({ length: 1e8 }); 1', 256],
    ['new Float64Array(a holey Array)', 'const a = []; a.length = 3e7; new Float64Array(a).length', 256],
    ['new Uint8Array(a Proxy of { length: 1e8 })', 'new Uint8Array(new Proxy({ length: 1e8 }, {})).length', 256],
  ];
  for (const [name, source, mb] of cases) {
    it(`${name} ends within its limits, its worker and a parked neighbour kept`, async () => {
      await expectEndsBesideNeighbour(eng(), exits, source, { ...safeAt1s, memoryBytes: mb * MiB });
    }, 30_000);
  }

  it('answers as V8 does', async () => {
    const source = `const out = [];
      const digest = (t) => { let h = 2166136261; for (let i = 0; i < t.length; i++) h = Math.imul(h ^ (Number(t[i]) * 31 | 0), 16777619); return [t.constructor.name, t.length, h >>> 0]; };
      const err = (f) => { try { return digest(f()); } catch (e) { return [e.name, e.message]; } };
      const N = 1048576 + 5;
      const like = { length: N, 0: 1, 7: '300', 1000: 2.5, [N - 1]: -1, [N]: 9 };
      const holey = []; holey[3] = 4; holey[N - 2] = 7; holey.length = N;
      const dense = Array.from({ length: N }, (_, i) => i % 251);
      out.push(err(() => new Uint8Array(like)), err(() => new Float32Array(like)), err(() => new Int16Array(holey)), err(() => new Float64Array(holey)),
        err(() => new Uint8ClampedArray(dense)), err(() => Uint16Array.from(like)), err(() => Int32Array.from(holey)), err(() => Float64Array.from(dense)),
        err(() => Uint8Array.from(like, (v, i) => i)), err(() => new BigInt64Array(like)), err(() => new BigInt64Array({ length: N, 0: 1n })),
        err(() => BigInt64Array.from(Array(N).fill(3n))));
      // Elements read through getters, in order; a length getter read once.
      const reads = [];
      const logged = { get length() { reads.push('length'); return N; } };
      Object.defineProperty(logged, 5, { get() { reads.push(5); return 5; } });
      Object.defineProperty(logged, N - 1, { get() { reads.push('last'); return 6; } });
      out.push(err(() => new Uint8Array(logged)), err(() => Uint8Array.from(logged)), reads);
      const t = new Float64Array(N + 10);
      out.push(err(() => { t.set(like, 3); return t; }), err(() => { t.set(holey); return t; }), err(() => { t.set(like, 10); return t; }),
        err(() => { t.set(like, Infinity); return t; }), err(() => { t.set(like, -1); return t; }), err(() => { t.set(like, { valueOf() { out.push('off'); return 2; } }); return t; }),
        err(() => { Uint8Array.prototype.set.call([], like); return t; }), err(() => { new Uint8Array(0).set(like); return t; }), t.set(like, 1));
      class Sub extends Uint16Array {}
      const s = new Sub(like), sf = Sub.from(like);
      out.push(s instanceof Sub, sf instanceof Sub, digest(s), digest(sf), Uint8Array.prototype.constructor === Uint8Array, new Uint8Array(4).map((x) => 1) instanceof Uint8Array,
        Object.getPrototypeOf(Int8Array) === Object.getPrototypeOf(Uint8Array), Uint8Array.name, Uint8Array.length, Uint8Array.BYTES_PER_ELEMENT, new Uint8Array([1, 2, 3]) instanceof Uint8Array,
        Object.getPrototypeOf(Uint8Array).from.length, Uint8Array.prototype.set.length, err(() => Uint8Array(3)), err(() => Object.getPrototypeOf(Uint8Array).from.call(Math.max, like)),
        err(() => Uint8Array.from.call(function () { return new Uint8Array(2); }, like)), err(() => Uint8Array.from.call(function () { return {}; }, like)));
      // Behind a Proxy: each trap in V8's order, @@iterator read once.
      const traps = [], small = { length: 4, 1: 2 }, arr = [1, , 3];
      const spy = (t) => new Proxy(t, { get(o, k, r) { traps.push(typeof k === 'symbol' ? k.description : k); return Reflect.get(o, k, r); } });
      const bigLike = { length: N, 3: 3 }, bigArr = Array.from({ length: N }, (_, i) => i & 7);
      out.push(digest(new Uint8Array(spy(small))), digest(Uint8Array.from(spy(small))), digest(new Uint8Array(spy(arr))), digest(Int8Array.from(spy(arr))),
        digest(new Uint8Array(spy({ length: 2, *[Symbol.iterator]() { yield 5; yield 6; } }))), err(() => new Uint8Array(spy({ [Symbol.iterator]: 5 }))),
        traps.splice(0), digest(new Uint8Array(new Proxy(bigLike, {}))), digest(new Uint16Array(new Proxy(bigArr, {}))), digest(Float32Array.from(new Proxy(bigArr, {}))));
      const b = new ArrayBuffer(16);
      out.push(digest(new Uint8Array(b, 4, 8)), digest(new Float64Array(new Uint8Array([1, 2, 300 % 256]))), digest(new Int8Array(new Set([1, 2]))), digest(new Int8Array(new DataView(b))));
      out`;
    const r = await run(eng(), source, { limits: { memoryBytes: 256 * MiB, wallTimeoutMs: 30_000 } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual(JSON.parse(JSON.stringify((0, eval)(source))));
    expect(exits).toEqual([]);
  }, 60_000);
});
