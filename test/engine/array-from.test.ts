// Array.from over a long array-like (prelude): V8 made the whole result at once, past the isolate's
// limit check, and the worker outgrew its RSS budget; the prelude copies such an array-like itself.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);
const parked = () => parkedNeighbour(engine);

// At 1e8 the worker was replaced and the executions parked in it failed WORKER_CRASHED.
for (const source of ['Array.from({ length: 1e8 }).length', 'Array.from({ get length() { return 1e8; } }, (x, i) => i).length']) {
  it(`${source} hits the memory limit; a parked neighbour is unharmed`, async () => {
    const neighbours = [parked(), parked()];
    await new Promise((r) => setTimeout(r, 300));
    // The wall limit is not the subject: at the default 3 s a loaded machine can time out before the memory limit.
    const r = await run(engine, source, { limits: { wallTimeoutMs: 20_000 } as never });
    expect(r.error?.kind, JSON.stringify(r.error)).toBe('memory_limit');
    for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
    await expectHealthy(engine);
  }, 20_000);
}

it('Array.from behaves as before: iterables, array-likes, mapFn and thisArg, subclasses, read order', async () => {
  expect(await value(`class Sub extends Array {}
    const log = [];
    const big = { length: 6.6e6 }; // past the guard's length at 50 MiB: copied by the prelude
    const traced = { get length() { log.push('length'); return 2; }, get 0() { log.push(0); return 'a'; }, get 1() { log.push(1); return 'b'; } };
    let iterReads = 0;
    const iterGetter = { get [Symbol.iterator]() { iterReads++; return function* () { yield this === iterGetter; }; } };
    const viaProxy = new Proxy({ length: 2, 0: 'p', 1: 'q' }, {});
    const nonCtor = Array.from.call(() => {}, { length: 1, 0: 'n' });
    const sub = Sub.from({ length: 2, 0: 1, 1: 2 }, function (x, i) { return x * this.m + i; }, { m: 10 });
    let bad; try { Array.from({ length: 1 }, 5); } catch (e) { bad = e.name; }
    let tooLong; try { Array.from({ length: 2 ** 40 }); } catch (e) { tooLong = e.name; }
    const bigOut = Array.from(big);
    [Array.from([1, 2, 3]), Array.from(new Set([1, 1, 2])), Array.from('ab'), Array.from({ length: 3, 0: 'x' }),
     Array.from({ length: '2.7', 0: 1, 1: 2 }), Array.from({ length: -5 }), Array.from(5), Array.from(traced), log,
     Array.from(iterGetter), iterReads, Array.from(viaProxy), nonCtor, Object.getPrototypeOf(nonCtor) === Array.prototype,
     sub instanceof Sub, Array.from(sub), Array.from([1, 2], (x, i) => x + i), bad, tooLong,
     bigOut.length, Object.getPrototypeOf(bigOut) === Array.prototype, 6599999 in bigOut, Array.isArray(bigOut),
     Array.from.name, Array.from.length, Object.getOwnPropertyDescriptor(Array, 'from').enumerable]`)).toEqual([
    [1, 2, 3], [1, 2], ['a', 'b'], ['x', null, null],
    [1, 2], [], [], ['a', 'b'], ['length', 0, 1],
    [true], 1, ['p', 'q'], ['n'], true,
    true, [10, 21], [1, 3], 'TypeError', 'RangeError',
    6.6e6, true, true, true,
    'from', 1, false]);
});
