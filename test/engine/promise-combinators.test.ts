import { describe, expect, it } from 'vitest';
import { MiB, run } from './helpers.ts';
import { expectEndsBesideNeighbour, oneWorker, safeAt1s } from './one-worker.ts';

// Promise.all and allSettled stepped through new Array(1e9) with V8's own iterator, in a loop deaf to
// the time limit, a promise and a reaction made for each hole: one line held a worker ~5 s past a 1 s
// limit until it was replaced, and the executions parked in it failed with it. So did any iterable whose
// iterator is a builtin's (a Set's, a string's, an iterator helper's): the prelude steps those, counted.

const { engine: eng, exits } = oneWorker();

describe('Promise combinators over a long list', () => {
  // A sparse Array, one within the walk bound (6e6 at 50 MiB: its promises thrash the heap all the same),
  // one behind a Proxy without traps, through which V8's iterator reads as deaf (the prelude steps through it),
  // and an iterator helper over one, whose steps run no script code either.
  const lists = ['new Array(1e9)', 'new Array(6e6)', 'new Proxy(new Array(1e9), {})', 'new Array(1e8).values().take(1e8)'];
  for (const name of ['all', 'allSettled']) {
    for (const list of lists) {
      it(`Promise.${name}(${list}) leaves its worker and a parked neighbour alone`, async () => {
        await expectEndsBesideNeighbour(eng(), exits, `Promise.${name}(${list}).catch(() => 0); 1`, safeAt1s);
      }, 30_000);
    }
  }

  it('rejects with a RangeError for each combinator and each list iterated by V8 alone', async () => {
    const source = `(async () => {
      const out = [];
      const set = new Set(Array.from({ length: 3e5 }, (_, i) => i)), text = 'x'.repeat(3e6);
      const lists = [new Array(1e9), new Array(3e5), new Uint8Array(2e7), { length: 1e9, [Symbol.iterator]: Array.prototype.values },
        set, text, () => set.values(), () => new Array(1e8).values().take(1e8), () => text[Symbol.iterator]().drop(1)];
      for (const name of ['all', 'allSettled', 'any', 'race']) {
        for (const l of lists) {
          const p = Promise[name](typeof l === 'function' ? l() : l);
          out.push(p instanceof Promise);
          try { await p; out.push('settled'); } catch (e) { out.push(e.constructor.name, /too long/.test(e.message)); }
        }
      }
      return out;
    })()`;
    const r = await run(eng(), source, { limits: { memoryBytes: 50 * MiB, wallTimeoutMs: 20_000 } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual(Array(36).fill([true, 'RangeError', true]).flat());
    expect(exits).toEqual([]);
  }, 30_000);

  it('answers ordinary inputs as V8 does', async () => {
    const source = `(async () => {
      const log = [];
      const tick = () => new Promise((r) => setTimeout(r, 1));
      const note = (tag) => (v) => { log.push([tag, v instanceof Error || (v && v.errors) ? [v.name, v.message, v.errors && v.errors.map(String)] : v]); };
      const thenable = (v, fail) => ({ then(res, rej) { log.push(['then', v]); fail ? rej(v) : res(v); } });
      const lists = [
        [], [1, 2, 3], [, , 3], [Promise.resolve(1), 2, thenable(3)], [Promise.reject(new Error('x')), Promise.reject(new Error('y'))],
        [thenable('a', true), 1], 'abc', new Set([1, Promise.resolve(2)]), new Uint8Array([1, 2]),
        (function* () { log.push('gen start'); yield 1; yield Promise.resolve(2); log.push('gen end'); })(),
        { [Symbol.iterator]() { let i = 0; return { next() { log.push(['next', i]); return { done: i > 2, value: i++ }; }, return() { log.push('return'); return {}; } }; } },
        { [Symbol.iterator]() { return { next() { throw new TypeError('next threw'); } }; } },
        { [Symbol.iterator]: 1 }, 7, null, undefined,
        new Proxy([1, , Promise.resolve(3), thenable(4)], { get(o, k, r) { log.push(['get', typeof k === 'symbol' ? k.description : k]); return Reflect.get(o, k, r); } }),
        new Proxy({ *[Symbol.iterator]() { yield 1; } }, {}), new Proxy({ length: 2 }, {}),
        // Iterators of builtins (stepped by the prelude in the engine) and iterables V8 refuses in its words.
        new Map([[1, 2]]), [1, Promise.resolve(2)].values(), new Set([3]).values(), [1, 2, 3].values().map((x) => x * 2).take(2),
        'ab'[Symbol.iterator](), { [Symbol.iterator]() { return 5; } }, { [Symbol.iterator]() { return {}; } },
        { [Symbol.iterator]() { return { next: 3 }; } }, { get [Symbol.iterator]() { throw new Error('getter threw'); } },
        true, 10n, Object.create({ [Symbol.iterator]: 1 }), function f() {},
      ];
      for (const name of ['all', 'allSettled', 'any', 'race']) {
        const f = Promise[name];
        log.push([name, f.name, f.length, typeof f.prototype, Object.getOwnPropertyDescriptor(Promise, name).enumerable]);
        for (let i = 0; i < lists.length; i++) {
          let p;
          try { p = Promise[name](lists[i]); } catch (e) { log.push(['sync', name, i, e.name]); continue; }
          p.then(note(name + i), note(name + i + '!'));
        }
        await tick();
        // A subclass, a non-constructor receiver, a resolve that throws.
        class P extends Promise {}
        const q = P[name]([1, Promise.resolve(2)]);
        log.push(['sub', q instanceof P]);
        q.then(note('sub' + name), note('sub!' + name));
        try { f.call(1, []); } catch (e) { log.push(['nc', e.name]); }
        const C = function (ex) { return new Promise(ex); };
        C.resolve = () => { throw new Error('resolve threw'); };
        f.call(C, [1]).then(note('C' + name), note('C!' + name));
        // The resolve's throw closes the iterator: its return is called.
        f.call(C, lists[10]).then(note('Ci' + name), note('Ci!' + name));
        await tick();
      }
      return log;
    })()`;
    const r = await run(eng(), source, { limits: { memoryBytes: 50 * MiB, wallTimeoutMs: 20_000 } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    const native = JSON.parse(JSON.stringify(await (0, eval)(source)));
    expect(r.returnValue).toEqual(native);
    expect(exits).toEqual([]);
  }, 30_000);
});
