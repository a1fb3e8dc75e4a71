// Serialising a long sparse array (the result, JSON.stringify, console.log) writes 'null' per hole in a
// text V8 builds outside the heap limit: a 1e8-long empty result took a Safe worker past its 1 GiB RSS
// budget, and it was replaced. An array longer than maxWalk (or than the result's JSON cap can hold)
// is now refused before V8 walks it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)));

it.each([
  'const a = []; a.length = 1e8; a',
  'const a = []; a.length = 1e8; ({ list: [a] })',
  'const a = []; a.length = 5e7; ({ toJSON() { return a; } })',
  'const a = []; a.length = 1e8; new Proxy(a, {})',
])('a long sparse result is refused at once (output_limit): %s', async (source) => {
  const neighbours = [parkedNeighbour(engine), parkedNeighbour(engine)];
  await new Promise((r) => setTimeout(r, 300));
  const restarts = engine.stats().workerRestarts;
  const r = await run(engine, source);
  expect(r.error?.kind, JSON.stringify(r.error)).toBe('output_limit');
  expect(r.error?.message).toBe('the return value exceeds 65536 bytes of JSON');
  expect(engine.stats().workerRestarts).toBe(restarts); // refused, not stopped by replacing the worker
  for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
  await expectHealthy(engine);
}, 30_000);

it('the result at its cap is as before: an array that fits, and one that does not', async () => {
  expect(await value('Array(32767).fill(0).length')).toBe(32767);
  expect((await run(engine, 'Array(32767).fill(0)')).returnValue).toHaveLength(32767);
  const r = await run(engine, 'Array(32768).fill(0)');
  expect(r.error?.kind).toBe('output_limit');
  expect(r.error?.message).toBe('the return value exceeds 65536 bytes of JSON');
});

it.each([
  'JSON.stringify(a).length', 'JSON.stringify({ x: [1, a] }, null, 2).length', 'JSON.stringify({ x: a }, (k, v) => v).length',
  'JSON.stringify({ x: a }, ["x"]).length', 'JSON.stringify({ x: 1 }, (k, v) => k === "x" ? a : v).length',
  'JSON.stringify(new Proxy(a, {})).length', 'JSON.stringify(a, Object.assign([], { length: 1e8 })).length',
])('the script\'s JSON.stringify refuses a long sparse array: %s', async (call) => {
  const restarts = engine.stats().workerRestarts;
  const r = await run(engine, `const a = []; a.length = 5e7;\n${call}`);
  expect(r.error?.name, JSON.stringify(r.error ?? r.returnValue)).toBe('RangeError');
  expect(r.error?.message).toMatch(/^array-like of length \d+ is too long to walk \(at most \d+ for this script\)$/);
  expect(r.error?.stack).toMatch(/script\.js:2:/);
  expect(engine.stats().workerRestarts).toBe(restarts); // refused, not stopped by replacing the worker
}, 30_000);

it('console.log, a thrown value and a tool call do not walk one either', async () => {
  const r = await run(engine, 'const a = []; a.length = 1e8; console.log({ a }); 1');
  expect(r.returnValue, JSON.stringify(r.error)).toBe(1);
  const t = await run(engine, 'const a = []; a.length = 1e8; throw { a }');
  expect(t.error?.kind, JSON.stringify(t.error)).toBe('script_threw');
  await expectHealthy(engine);
}, 30_000);

it('JSON.stringify answers as the builtin otherwise: replacers, property lists, cycles, toJSON, wrappers', async () => {
  const source = `(() => { const out = [], t = (f) => { try { out.push(f()); } catch (e) { out.push(e.name); } }, log = [];
    const o = { b: 1, 2: "two", a: [1, , 3, { a: 1, b: 2, 1: "x" }], d: new Date(0), n: new Number(5), s: new String("s"), f() {}, u: undefined,
      t: { toJSON(k) { log.push("toJSON " + k); return { b: "B", z: 1 }; } }, get g() { log.push("get g"); return { a: 0, g: 1 }; } };
    t(() => JSON.stringify(o)); t(() => JSON.stringify(o, null, "\\t")); t(() => JSON.stringify(o, ["a", "b", 1, "2", "a", new String("g"), new Number(2), {}, true, "t", "z"], 1));
    t(() => JSON.stringify(o, ["zz"])); t(() => JSON.stringify([o, [o]], ["b", "a"])); t(() => JSON.stringify(o, function (k, v) { log.push(k + ":" + (this === o)); return typeof v === "number" ? v + 1 : v; }));
    const c = { a: 1 }; c.self = c; t(() => JSON.stringify(c)); t(() => JSON.stringify(c, ["self"])); t(() => JSON.stringify({ x: [c] }, (k, v) => v));
    t(() => JSON.stringify(1n)); t(() => JSON.stringify(undefined)); t(() => JSON.stringify(Symbol())); t(() => JSON.stringify("x", ["a"]));
    t(() => JSON.stringify(new Proxy([1, 2], {}), ["0"])); t(() => JSON.stringify(new Proxy({ a: 1, b: 2 }, {}), ["b"]));
    t(() => JSON.stringify({ a: new Boolean(false), b: Object(3n) }, ["a"])); t(() => typeof JSON.rawJSON === "function" ? JSON.stringify({ a: JSON.rawJSON("1e999"), b: 2 }, ["a"]) : "none");
    t(() => JSON.stringify({ a: 1 }, new Proxy(["a"], {}))); t(() => JSON.stringify([new Array(3)], null, 1));
    t(() => [JSON.stringify.name, JSON.stringify.length, "prototype" in JSON.stringify, Object.getOwnPropertyDescriptor(JSON, "stringify").enumerable]);
    out.push(log); return out; })()`;
  expect(await value(source)).toEqual(native(source));
});
