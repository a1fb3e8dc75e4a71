import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

// What a timer callback or a microtask throws after the script's first run is reported on stderr and
// the script goes on (README): an async callback's rejection, and a queueMicrotask callback's throw,
// were heard by no one.

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it('reports a throw in a timer callback, an async one\'s rejection and a microtask\'s throw, and goes on', async () => {
  const r = await run(engine, `export default async function main() {
  setTimeout(async () => { throw new Error('async one') }, 0);
  setTimeout(() => { throw new Error('sync one') }, 0);
  setTimeout(() => queueMicrotask(() => { throw new TypeError('microtask one') }), 0);
  await new Promise((r) => setTimeout(r, 20));
  return 'done';
}`);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toBe('done');
  const lines = r.stderr.split('\n').filter((l) => !l.startsWith('    at '));
  expect(lines).toEqual(['Uncaught (in promise) Error: async one', 'Uncaught Error: sync one', 'Uncaught TypeError: microtask one', '']);
});

it('a microtask that throws during the first run is reported too, and the script goes on', async () => {
  const r = await run(engine, `queueMicrotask(() => { throw new Error('early') }); 'value'`);
  expect([r.success, r.returnValue]).toEqual([true, 'value']);
  expect(r.stderr).toMatch(/^Uncaught Error: early\n/);
});

it('a delay past 2^31 - 1 ms, Infinity too, fires at once as in Node.js', async () => {
  const r = await run(engine, `export default async function main() {
  const order = [];
  await Promise.all([2 ** 31, Infinity, 2 ** 53].map((ms) => new Promise((r) => setTimeout(() => { order.push(String(ms)); r(); }, ms))));
  return order;
}`, { limits: { wallTimeoutMs: 2000 } as never });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toEqual(['2147483648', 'Infinity', '9007199254740992']);
});

it('a callback returning a revoked Proxy, or a promise whose species throws, leaves the script going', async () => {
  const r = await run(engine, `export default async function main() {
  const p = Proxy.revocable({}, {}); p.revoke();
  class P extends Promise { static get [Symbol.species]() { throw new Error('species') } }
  setTimeout(() => p.proxy, 0);
  setTimeout(() => P.reject(new Error('x')), 0);
  await new Promise((res) => setTimeout(res, 20));
  return 'ok';
}`);
  expect([r.success, r.returnValue]).toEqual([true, 'ok']);
});
