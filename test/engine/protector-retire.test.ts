import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, run, startEngine } from './helpers.ts';

// V8's protectors (the guards of its fast paths: no elements on Object.prototype, the array iterator,
// Promise's then, ...) are kept per isolate, not per context: a run that broke one left every later run
// on its warm isolate several times slower (until recycle_after), and could tell the next run one bit per
// protector. An isolate whose run touched what they guard is retired after that run.

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const isolateOf = async (source = '1'): Promise<string> => {
  const r = await run(engine, source);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  return r.metadata.isolateId;
};

describe('an isolate whose run touched what a protector guards', () => {
  const poisons: [string, string, unknown][] = [
    ['an element on Object.prototype', 'Object.prototype[0] = 1; [].concat([,1]).length', 2],
    ['Promise.prototype.then replaced', 'const t = Promise.prototype.then; Promise.prototype.then = function (a, b) { return t.call(this, a, b); }; "then"', 'then'],
    ['Array.prototype[Symbol.iterator] replaced', 'const it = Array.prototype[Symbol.iterator]; Array.prototype[Symbol.iterator] = function () { return it.call(this); }; [...[1, 2, 3]]', [1, 2, 3]],
    ['an element on Array.prototype', 'Array.prototype[1] = "x"; [1, , 2][1]', 'x'],
    ['%ArrayIteratorPrototype%.next replaced', 'const P = Object.getPrototypeOf([].values()), n = P.next; P.next = function () { return n.call(this); }; [...[4]]', [4]],
    ['Array.prototype.constructor replaced', 'Array.prototype.constructor = function X() {}; 0', 0],
    ['Array[Symbol.species] redefined', 'Object.defineProperty(Array, Symbol.species, { get() { return Array; } }); 0', 0],
    ['Promise.resolve replaced', 'Promise.resolve = (x) => x; 0', 0],
    ['Promise[Symbol.species] redefined', 'Object.defineProperty(Promise, Symbol.species, { value: Promise }); 0', 0],
    ['RegExp.prototype.exec replaced', 'const e = RegExp.prototype.exec; RegExp.prototype.exec = function (s) { return e.call(this, s); }; /a/.test("a")', true],
    ['Map iterator next replaced', 'Object.getPrototypeOf(new Map().entries()).next = () => ({ done: true }); 0', 0],
    ['Set.prototype[Symbol.iterator] replaced', 'Set.prototype[Symbol.iterator] = function* () {}; 0', 0],
    ['String iterator next replaced', 'Object.getPrototypeOf(""[Symbol.iterator]()).next = () => ({ done: true }); 0', 0],
    ['Symbol.isConcatSpreadable on Object.prototype', 'Object.prototype[Symbol.isConcatSpreadable] = false; 0', 0],
    ['Symbol.match on String.prototype', 'String.prototype[Symbol.match] = null; 0', 0],
    ['an element on String.prototype', 'String.prototype[2] = "z"; Object("ab")[2]', 'z'],
    ['Symbol.toPrimitive on Number.prototype', 'Number.prototype[Symbol.toPrimitive] = function () { return 7; }; Object(1) + 1', 8],
    ['an element on Array.prototype past its end', 'Array.prototype[3] = 1; [,,,,][3]', 1],
    ['the typed array length getter redefined', 'const T = Object.getPrototypeOf(Uint8Array.prototype); Object.defineProperty(T, "length", { get() { return 0; } }); 0', 0],
    ['Array.prototype given another prototype', 'Object.setPrototypeOf(Array.prototype, { __proto__: Object.prototype }); 0', 0],
    ['a property deleted, an element added (same count)', 'delete Object.prototype.__lookupGetter__; Object.prototype[0] = 1; 0', 0],
    ['a module main that poisons and returns', 'export default function main() { Object.prototype[1] = 2; return { ok: true }; }', { ok: true }],
    ['a microtask after the result', 'Promise.resolve().then(() => { Array.prototype[0] = 1; }); "early"', 'early'],
  ];
  for (const [what, source, value] of poisons) {
    it(`is replaced: ${what}`, async () => {
      const before = await isolateOf();
      expect(await isolateOf(), 'ordinary runs keep their isolate').toBe(before);
      const r = await run(engine, source);
      expect(r.error, JSON.stringify(r.error)).toBeUndefined();
      expect(r.returnValue, 'the poisoning run answers as it would have').toEqual(value);
      expect(r.metadata.isolateId, 'it ran on the warm isolate').toBe(before);
      const after = await isolateOf();
      expect(after, 'the next run is on a new isolate').not.toBe(before);
      expect(await isolateOf('Object.keys(Object.prototype).length + [...[1]].length'), 'which is clean').toBe(after);
    }, 20_000);
  }

  it('ordinary runs, the prelude\'s own wrapping included, keep their isolate', async () => {
    const sources = [
      '1',
      'export default async function main() { return [1, 2, 3].map((x) => x * 2).concat([4]).flat(); }',
      'const m = new Map([[1, 2]]); [...m, ...new Set([3])].length',
      '"a-b-c".split(/-/).join("+").replace(/\\+/g, "_") + "x".match(/x/)[0]',
      'new Uint8Array([1, 2, 3]).map((x) => x + 1).subarray(1).length + new Float64Array(2).buffer.byteLength',
      'Promise.all([Promise.resolve(1), new Promise((r) => setTimeout(() => r(2), 1))])',
      'new Intl.NumberFormat("en").format(1234.5) + (1234.5).toLocaleString() + [1, 2].toLocaleString()',
      'Object.entries({ a: 1 }).concat(Array.from({ length: 2 }, (_, i) => i)).length + BigInt(10).toString().length',
      'const o = {}; o.constructor = 1; class A extends Array {} ; new A(3).length + JSON.stringify({ x: [1, { y: 2 }] }).length',
      'console.log("x"); "a".localeCompare("b") + "ß".normalize("NFD").length + "x".padStart(3).length',
      // Named polyfills guard no fast path: no new isolate for each run that adds one.
      'Array.prototype.last = function () { return this[this.length - 1]; }; [1, 2].last()',
      'Object.defineProperty(String.prototype, "padX", { value() { return this + "x"; } }); "a".padX()',
      'Object.prototype.hasOwnX = function (k) { return Object.hasOwn(this, k); }; ({ a: 1 }).hasOwnX("a")',
    ];
    const first = await isolateOf();
    for (let k = 0; k < 2; k++) {
      for (const s of sources) expect(await isolateOf(s), s).toBe(first);
    }
  }, 30_000);
});

describe('a thenable returned', () => {
  it('has its then read once', async () => {
    const r = await run(engine, 'let n = 0; ({ get then() { return ++n === 1 ? (r) => r(1) : 5; } })');
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toBe(1);
  });

  it('settles as the standard resolves it', async () => {
    const r = await run(engine, `export default async function main() {
      const out = [];
      let n = 0;
      const counted = { get then() { n++; return (res) => res(n); } };
      out.push(await (async () => counted)());
      const thrower = { then() { throw new Error('boom'); } };
      const late = { then(res) { res('first'); throw new Error('ignored'); } };
      out.push(await (async () => late)());
      try { await (async () => thrower)(); } catch (e) { out.push(e.message); }
      return out;
    }`);
    expect(r.returnValue).toEqual([1, 'first', 'boom']);
    const cases: [string, unknown, string?][] = [
      ['({ then(res) { res({ then(r2) { r2(7); } }); } })', 7],
      ['({ then(res, rej) { rej(new TypeError("no")); } })', undefined, 'TypeError'],
      ['({ then() { throw new RangeError("thrown"); } })', undefined, 'RangeError'],
      ['({ then(res) { res(1); res(2); } })', 1],
      ['Promise.resolve(5)', 5],
      ['({ then: 3 })', { then: 3 }],
    ];
    for (const [source, value, errorName] of cases) {
      const c = await run(engine, source);
      if (errorName) expect(c.error?.name, source).toBe(errorName);
      else { expect(c.error, source).toBeUndefined(); expect(c.returnValue, source).toEqual(value); }
    }
  });
});

describe('a tool name that is no string', () => {
  it('is a TypeError the script can catch, not a refusal of the tool it names', async () => {
    const r = await run(engine, `export default async function main(a, ctx) {
      const out = [];
      for (const n of [{ toString() { return 'fs'; } }, 1, null, undefined]) {
        try { await ctx.tools.call(n, {}); out.push('called'); } catch (e) { out.push(e.name + ': ' + e.message); }
      }
      return out;
    }`, { limits: { tools: ['fs'] } as never });
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual([
      'TypeError: the tool name must be a string, not object',
      'TypeError: the tool name must be a string, not number',
      'TypeError: the tool name must be a string, not null',
      'TypeError: the tool name must be a string, not undefined',
    ]);
  });

  it('left uncaught, ends the run as a script error, no security violation', async () => {
    const r = await run(engine, 'export default async function main(a, ctx) { await ctx.tools.call({ toString() { return "fs"; } }); }', { limits: { tools: ['fs'] } as never });
    expect(r.error?.name).toBe('TypeError');
    expect(r.error?.kind).toBe('script_threw');
    expect(r.error?.message).toBe('the tool name must be a string, not object');
    await expectHealthy(engine);
  });
});
