// An array's join over 65,536 elements (joined in the prelude, a piece at a time) reads each element and makes it a
// string before it reads the next, as V8 does: an element's toString that changes, deletes or adds a later element,
// in its piece or the next, or changes the array's length, is seen as V8 sees it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

/** What V8 itself (this process's, the isolates') makes of a classic script, as the result's JSON: the prelude must not change it. */
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)) ?? 'null');

it('sees what an element\'s toString does to later elements, as V8 does', async () => {
  const source = `const out = [], N = 140000;
    const pick = (s) => { const p = s.split(','); return [s.length, p[0], p[1], p[2], p[65535], p[65536], p[65537], p[N - 1]]; };
    // In its piece: the next element changed.
    let a = new Array(N).fill('x'); a[1] = 'orig';
    a[0] = { toString() { a[1] = 'changed'; return 'a'; } };
    out.push(pick(a.join()));
    // Across pieces: elements of the next piece changed, deleted (a hole, read through the prototype) and added.
    a = new Array(N).fill('y'); delete a[65537];
    a[65535] = { toString() { a[65536] = 'next'; delete a[N - 1]; a[65537] = 7; return 'last'; } };
    out.push(pick(a.join(',')));
    Array.prototype[N - 1] = 'proto';
    a = new Array(N).fill('z');
    a[2] = { toString() { delete a[N - 1]; a.length = 70000; return 'cut'; } };
    out.push(pick(a.join()));
    delete Array.prototype[N - 1];
    // An element's toString that throws stops the join where V8 stops it.
    let seen = 0;
    a = Array.from({ length: N }, (_, i) => ({ toString() { seen++; if (i === 70000) throw new Error('at ' + i); return 'e'; } }));
    try { a.join(); } catch (e) { out.push([e.message, seen]); }
    out`;
  expect(await valueOf(engine, source)).toEqual(native(source));
}, 60_000);
