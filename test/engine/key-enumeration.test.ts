// V8 lists a string's or typed array's indices as keys (Object.keys, JSON.stringify, a typed array
// returned) deaf to the time limit: one Safe one-liner held its worker 10 s until it was replaced
// (SIGSEGV). A length past maxWalk (or, for the result, past what its JSON cap can hold) is now
// refused before V8 starts listing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);

it('refuses listing the keys of a long string, String object or typed array', async () => {
  const restarts = engine.stats().workerRestarts;
  expect(await value(`const u = new Uint8Array(1e7), so = new String('x'.repeat(2 ** 23)), s = 'x'.repeat(2 ** 23);
    const out = [];
    const tries = [() => Object.keys(u), () => Object.values(u), () => Object.entries(u), () => Object.getOwnPropertyNames(u),
      () => Object.getOwnPropertyDescriptors(u), () => Reflect.ownKeys(u), () => Object.assign({}, {}, u),
      () => Object.keys(so), () => Object.entries(so), () => Reflect.ownKeys(so), () => Object.getOwnPropertyNames(s),
      () => Object.values(s), () => Object.assign({}, s)];
    for (const f of tries) { try { f(); out.push('listed'); } catch (e) { out.push(e.name + ': ' + /too long to walk/.test(e.message)); } }
    out`)).toEqual(Array(13).fill('RangeError: true'));
  expect(engine.stats().workerRestarts).toBe(restarts); // refused, not stopped by replacing the worker
  await expectHealthy(engine);
}, 20_000);

it('refuses JSON.stringify of a long typed array', async () => {
  expect(await value(`const out = [];
    for (const v of [new Uint8Array(3e7), { a: [new Int8Array(7e6)] }]) { try { JSON.stringify(v); out.push('listed'); } catch (e) { out.push(e.name); } }
    out`)).toEqual(['RangeError', 'RangeError']);
  await expectHealthy(engine);
}, 20_000);

it('refuses a returned typed array its JSON cap cannot hold at once (output_limit)', async () => {
  for (const source of ['new Uint8Array(3e7)', '({ bytes: new Uint8Array(11000) })']) {
    const restarts = engine.stats().workerRestarts;
    const r = await run(engine, source);
    expect(r.error?.kind, JSON.stringify(r.error)).toBe('output_limit');
    expect(r.error?.message).toBe('the return value exceeds 65536 bytes of JSON');
    expect(engine.stats().workerRestarts).toBe(restarts); // refused, not stopped by replacing the worker
  }
  await expectHealthy(engine);
}, 30_000);

it('lists and serialises short ones, and ordinary objects, as V8 does', async () => {
  const source = `[Object.keys(new Uint8Array(3)), Object.entries(new String('ab')), Object.values('ab'), Reflect.ownKeys(new String('a')),
    Object.getOwnPropertyNames(new Int16Array(2)), Object.assign({}, 'ab', new Uint8Array([7])), Object.keys({ length: 5, a: 1 }),
    Object.keys([1, 2]), Object.keys(new DataView(new ArrayBuffer(4))), JSON.stringify(new Uint8Array([1, 2])),
    (() => { try { Reflect.ownKeys('x'); return 'no'; } catch (e) { return e.name; } })(),
    [Object.keys.name, Object.keys.length, Object.assign.name, Object.assign.length, Reflect.ownKeys.name, Reflect.ownKeys.length]]`;
  expect(await value(source)).toEqual(JSON.parse(JSON.stringify((0, eval)(source))));
  expect(await value('new Uint8Array(5000)')).toEqual(Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [String(i), 0])));
});
