// The key-listing guard (key-enumeration.test.ts) was passed by a Proxy, whose keys V8 lists from
// its target (an ownKeys trap or not), and by builtins that list a properties object's keys
// (defineProperties, create) or a non-extensible object's (isFrozen, isSealed): each held its worker
// deaf to the time limit until it was replaced.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it('refuses listing a long typed array or String object behind a Proxy, or through defineProperties, create, isFrozen, isSealed', async () => {
  expect(await valueOf(engine, `const u = new Uint8Array(4e7), s = Object.freeze(new String('x'.repeat(2 ** 24)));
    const trapped = new Proxy(new Proxy(u, {}), { ownKeys: () => [] });
    const tries = [() => Object.keys(new Proxy(u, {})), () => Reflect.ownKeys(trapped), () => JSON.stringify(new Proxy(u, {})),
      () => JSON.stringify({ a: new Proxy(s, {}) }), () => Object.defineProperties({}, u), () => Object.create(null, 'x'.repeat(2 ** 24)),
      () => Object.isFrozen(s), () => Object.isSealed(new Proxy(s, {}))];
    const out = [];
    for (const f of tries) { try { f(); out.push('listed'); } catch (e) { out.push(e.name + ': ' + /too long to walk/.test(e.message)); } }
    out`)).toEqual(Array(8).fill('RangeError: true'));
  const r = await run(engine, 'new Proxy(new Uint8Array(3e7), {})');
  expect(r.error?.kind, JSON.stringify(r.error)).toBe('output_limit');
  expect(engine.stats().workerRestarts).toBe(0);
  await expectHealthy(engine);
}, 60_000);

it('lists short ones, and answers an extensible long one or a typed array at once, as V8 does', async () => {
  const source = `[Object.keys(new Proxy(new Uint8Array(3), {})), Object.keys(new Proxy({ a: 1 }, {})), JSON.stringify(new Proxy(new Uint8Array(2), {})),
    Object.isFrozen(new String('x'.repeat(2 ** 24))), Object.isSealed(new Uint8Array(4e7)), Object.isFrozen(Object.freeze(new String('ab'))),
    Object.keys(Object.create(null, { a: { value: 1, enumerable: true } })), Object.keys(Object.defineProperties({}, new Proxy({ b: { value: 2, enumerable: true } }, {}))),
    Object.keys({ a: 1 }, new String('x'.repeat(2 ** 24))),
    Object.isFrozen(Object.preventExtensions(new Uint8Array(4e7))), Object.isSealed(Object.preventExtensions(new Uint8Array(4e7))),
    [Object.create.name, Object.create.length, Object.defineProperties.length, Object.isFrozen.length, Object.isSealed.name]]`;
  expect(await valueOf(engine, source)).toEqual(JSON.parse(JSON.stringify((0, eval)(source))));
}, 30_000);
