import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, ExecutionErrorKind } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
const exits: unknown[] = [];
beforeAll(async () => { engine = await startEngine({ defaultMemoryBytes: 32 * MiB, onWorkerExit: (e) => exits.push(e) }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const limits = { memoryBytes: 32 * MiB, wallTimeoutMs: 1500, maxOutputBytes: 4096, maxReturnBytes: 64 * 1024 };
/** The wall limit of a case that spins from its first statement: nothing to set up first, so 400 ms show it stopped as well. */
const spins = 400;
const mod = (body: string) => `export default async function main(args, ctx) {\n${body}\n}`;

interface Case { name: string; source: string; kinds: ExecutionErrorKind[] | 'success'; memoryBytes?: number; wallTimeoutMs?: number; tools?: string[]; check?: (r: Awaited<ReturnType<typeof run>> & { source: string }) => void }

/** What V8 itself (this process's, the isolates') makes of a classic script, as the result's JSON: the prelude must not change it. */
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)) ?? 'null');
/** A limit the time limit reached: the worker was not replaced to stop the script. */
const notReplaced = (r: { error?: { message: string } }) => expect(r.error!.message).not.toContain('its worker was replaced');

const corpus: Case[] = [
  { name: 'sync infinite loop', source: 'while (true) {}', kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'async infinite loop', source: mod('for (;;) { await null; }'), kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'never-settling promise', source: mod('await new Promise(() => {});'), kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'timer chain that never ends', source: mod('await new Promise(() => { const f = () => setTimeout(f, 1); f(); });'), kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'big arrays', source: 'const keep = []; for (;;) keep.push(new Array(1e6).fill(1.5));', kinds: ['memory_limit'] },
  { name: 'huge strings', source: "const keep = []; for (let i = 0; ; i++) keep.push('y'.repeat(1 << 20) + i);", kinds: ['memory_limit'] },
  // Twice the limit: 2 ** 28 (256 MB) took its worker, on a starved CI machine, past the time limit and the grace after it
  // in V8's copy of the string, deaf to termination (README, known limit), and the worker was replaced.
  { name: 'one giant string', source: "const s = 'x'.repeat(2 ** 26); s.toUpperCase().length", kinds: ['memory_limit', 'script_threw', 'timeout'] },
  { name: 'typed arrays', source: 'const keep = []; for (;;) keep.push(new Uint8Array(16 * 1024 * 1024));', kinds: ['memory_limit'] },
  { name: 'one giant ArrayBuffer', source: 'new ArrayBuffer(2 ** 31).byteLength', kinds: ['memory_limit'] },
  { name: 'resizable ArrayBuffer', source: 'const b = new ArrayBuffer(8, { maxByteLength: 2 ** 32 }); b.resize(2 ** 32); b.byteLength', kinds: ['memory_limit'] },
  { name: 'resizable via the intrinsic constructor', source: 'const AB = new Uint8Array(1).buffer.constructor; new AB(8, { maxByteLength: 2 ** 32 }).byteLength', kinds: ['memory_limit'] },
  { name: 'WebAssembly.Memory', source: 'new WebAssembly.Memory({ initial: 10000 }).buffer.byteLength', kinds: ['script_threw'], check: (r) => expect(r.error!.message).toContain('WebAssembly is not defined') },
  { name: 'SharedArrayBuffer', source: 'new SharedArrayBuffer(1024)', kinds: ['script_threw'] },
  { name: 'Atomics.waitAsync', source: 'Atomics.waitAsync(new Int32Array(new ArrayBuffer(16)), 0, 0, 10)', kinds: ['script_threw'] },
  { name: 'stack overflow', source: 'function f() { return f() + 1; } f()', kinds: ['script_threw'], check: (r) => expect(r.error!.name).toBe('RangeError') },
  { name: 'Function constructor escape', source: "this.constructor.constructor('return process')().exit(1)", kinds: ['script_threw'], check: (r) => expect(r.error!.message).toContain('process is not defined') },
  { name: 'escape through a prototype chain', source: "({}).constructor.constructor('return typeof require + typeof process + typeof globalThis.process')()", kinds: 'success', check: (r) => expect(r.returnValue).toBe('undefinedundefinedundefined') },
  { name: 'escape through ctx and console', source: mod("return [ctx.constructor.constructor('return typeof process')(), console.log.constructor('return typeof process')(), Object.getPrototypeOf(ctx.tools.call) === Function.prototype];"), kinds: 'success', check: (r) => expect(r.returnValue).toEqual(['undefined', 'undefined', true]) },
  { name: 'dynamic import', source: mod("return await import('node:fs');"), kinds: ['script_threw'] },
  { name: 'static import', source: "import fs from 'node:fs';\nexport default function main() { return 1; }", kinds: ['security_violation'] },
  { name: 'prototype pollution', source: "Object.prototype.polluted = 'yes'; Array.prototype.map = null; JSON.stringify = () => 'hacked'; globalThis.leak = 1; 1", kinds: 'success' },
  { name: 'spinning getter in the return value', source: '({ get x() { for (;;) {} } })', kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'Proxy in the return value', source: 'new Proxy({}, { ownKeys() { throw new Error("trap"); } })', kinds: ['invalid_return_value'] },
  { name: 'toJSON that spins', source: mod('return { toJSON() { for (;;) {} } };'), kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'thrown object with spinning getters', source: mod('throw { get name() { for (;;) {} }, get message() { for (;;) {} } };'), kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'thrown Proxy', source: mod('throw new Proxy({}, { get() { throw new Error("no"); } });'), kinds: ['script_threw'] },
  { name: 'sparse array with a huge length', source: 'const a = []; a.length = 2 ** 32 - 1; a', kinds: ['invalid_return_value', 'memory_limit', 'output_limit', 'timeout'] },
  { name: 'shared sub-objects that expand exponentially', source: 'let o = { v: 1 }; for (let i = 0; i < 40; i++) o = { a: o, b: o }; o', kinds: ['invalid_return_value', 'memory_limit', 'output_limit', 'timeout'] },
  { name: 'huge output', source: "for (let i = 0; i < 2000; i++) console.log('x'.repeat(10000)); 'done'", kinds: 'success', check: (r) => { expect(Buffer.byteLength(r.stdout)).toBeLessThan(4096 + 64); expect(r.stdout).toMatch(/…\[truncated \d+ bytes\]$/); } },
  { name: 'one huge console line', source: "console.error('z'.repeat(20 * 1024 * 1024)); 1", kinds: 'success', check: (r) => expect(r.stderr).toContain('…[truncated 20967425 bytes]') },
  // V8's builtins walk every hole of a sparse array deaf to termination (copyWithin over 10^9: ~40 s).
  {
    name: 'builtins over a huge sparse array or array-like',
    source: `const a = new Array(1e9), out = [];
      const calls = [() => a.copyWithin(0, 1), () => a.fill(0), () => a.reverse(), () => a.map((x) => x), () => a.indexOf(2), () => a.join(),
        () => a.toSorted(), () => Array.prototype.forEach.call({ length: 2 ** 32 }, () => {}), () => Math.max.apply(null, { length: 1e9 }),
        () => Reflect.apply(Math.max, null, a), () => Reflect.construct(Array, a)];
      for (const f of calls) { try { f(); out.push('walked'); } catch (e) { out.push(e.name); } }
      out`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(Array(11).fill('RangeError')),
  },
  // Walks of arrays other than the receiver (nested, spread, a template's raw strings) and of array-likes
  // were not guarded: each crashed its worker at the time limit, blamed on nobody.
  {
    name: 'builtins over a huge nested, spread or raw array-like',
    source: `const huge = () => new Array(2 ** 32 - 1), out = [];
      const calls = [() => [huge()].flat(), () => [[huge()]].flat(2), () => [0].flatMap(() => huge()), () => [].concat(huge()),
        () => [].concat({ length: 2 ** 32 - 1, [Symbol.isConcatSpreadable]: true }), () => [].concat(new Proxy(huge(), {})),
        () => Array.prototype.toLocaleString.call({ length: 2 ** 32 - 1 }), () => Array.prototype.includes.call(new Proxy(huge(), {}), 1),
        () => String.raw({ raw: { length: 2 ** 32 - 1 } }), () => String.raw({ raw: { get length() { return 2 ** 32 - 1; } } })];
      for (const f of calls) { try { f(); out.push('walked'); } catch (e) { out.push(e.name); } }
      out`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(Array(10).fill('RangeError')),
  },
  {
    name: 'flat, flatMap, concat and String.raw work as before',
    source: `class Sub extends Array {}
      const p = new Proxy([1, [2]], {});
      [[1, [2, [3, [4]]]].flat(), [1, [2, [3, [4]]]].flat(Infinity), [1, , [2, , 3]].flat(), [1, 2].flatMap((x, i, a) => [x, a.length]),
        Sub.from([1, [2]]).flat() instanceof Sub, Array.prototype.flat.call({ length: 2, 0: [1], 1: 2 }), p.flat(),
        [1, 2].concat(3, [4, [5]], { a: 1 }), [1].concat({ length: 1, 0: 'x', [Symbol.isConcatSpreadable]: true }), [0].concat(p),
        [0].concat(new Uint8Array([1])).length, Sub.from([1]).concat([2]) instanceof Sub, [1, , 3].concat([4]).length,
        String.raw\`a\${1}b\`, String.raw({ raw: { get length() { return 2; }, 0: 'p', 1: 'q' } }, 9)]`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual([[1, 2, [3, [4]]], [1, 2, 3, 4], [1, 2, 3], [1, 2, 2, 2], true, [1, 2], [1, 2],
      [1, 2, 3, 4, [5], { a: 1 }], [1, 'x'], [0, 1, [2]], 2, true, 4, 'a1b', 'p9q']),
  },
  // find calls its callback for every hole, so the time limit reaches it: not guarded, still no worker lost.
  { name: 'find over a huge sparse array', source: 'new Array(1e9).find((x) => x === 2)', kinds: ['timeout'], wallTimeoutMs: spins },
  {
    name: 'the guarded builtins work as before on ordinary arrays',
    source: `const a = [3, 1, 2];
      [a.toSorted().join('-'), a.map((x) => x * 2).filter((x) => x > 2).reduce((s, x) => s + x, 0), a.indexOf(2), a.slice(1).reverse(),
        Array.prototype.map.call('ab', (c) => c + c), Math.max.apply(null, a), Reflect.apply(Math.min, null, a), Reflect.construct(Array, [2]).length,
        [[1], [2]].flat(), a.some((x) => x > 2), a.every((x) => x > 0), a.find((x) => x < 2), [1, 2].toString(), Object.keys(Array.prototype).length,
        new Array(1e6).fill(1).reduce((s, x) => s + x, 0)]`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(['1-2-3', 10, 2, [2, 1], ['aa', 'bb'], 3, 1, 2, [1, 2], true, true, 1, '1,2', 0, 1e6]),
  },
  { name: 'ReDoS', source: "/^(a+)+$/.test('a'.repeat(40) + 'b')", kinds: ['timeout'], wallTimeoutMs: spins },
  { name: 'FinalizationRegistry', source: mod('const r = new FinalizationRegistry(() => { for (;;) {} }); for (let i = 0; i < 1000; i++) r.register({}, i); return 1;'), kinds: 'success' },
  { name: 'timer scheduled after return', source: mod('setTimeout(() => { for (;;) {} }, 20); return 1;'), kinds: 'success' },
  // Host callbacks pause isolated-vm's timeout: the wall clock is checked in each of them.
  { name: 'host calls past the wall clock', source: 'for (;;) { try { console.log(1); } catch {} }', kinds: ['timeout'], check: (r) => { expect(r.error!.message).toContain('wall-clock limit of 1500 ms'); expect(r.executionTimeMs).toBeLessThan(1500 + 1000); } },
  { name: 'timer churn (set and clear forever)', source: 'for (;;) clearTimeout(setTimeout(() => {}, 1e9));', kinds: ['timeout'], wallTimeoutMs: spins, check: (r) => expect(r.error!.message).toContain('wall-clock') },
  { name: 'too many timers', source: mod('for (let i = 0; i < 5000; i++) setTimeout(() => {}, 100000); return 1;'), kinds: ['script_threw'] },
  { name: 'microtasks spinning after return', source: mod('Promise.resolve().then(async () => { await new Promise((r) => setTimeout(r, 5)); for (;;) {} }); return 1;'), kinds: 'success' },
  // The guard read the length once and the builtin again: a getter (or a Proxy, or a valueOf) answered 1
  // to the guard and 4e9 to the builtin, which then walked 4e9 indices and crashed the worker.
  {
    name: 'a length that answers the guard and the builtin differently',
    source: `const liar = () => { let n = 0; return Object.defineProperty({ 0: 5 }, 'length', { get() { return n++ ? 4e9 : 1; } }); };
      const proxied = () => { let n = 0; return new Proxy([5], { get(t, k) { return k === 'length' ? (n++ ? 4e9 : 1) : Reflect.get(t, k); } }); };
      const revocable = () => { let n = 0; return Proxy.revocable([5], { get(t, k) { return k === 'length' ? (n++ ? 4e9 : 1) : Reflect.get(t, k); } }).proxy; };
      const valueOf = () => { let n = 0; return { 0: 5, length: { valueOf() { return n++ ? 4e9 : 1; } } }; };
      const out = [];
      for (const make of [liar, proxied, revocable, valueOf]) {
        const o = make();
        out.push([Array.prototype.map.call(make(), (x) => x * 2), Array.prototype.join.call(make()), Array.prototype.sort.call(o) === o,
          Array.prototype.fill.call(make(), 7)[0], Math.max.apply(null, make()), Reflect.apply(Math.max, null, make()),
          Reflect.construct(function (x) { this.x = x; }, make()).x]);
      }
      let k = 0;
      Object.defineProperty(Number.prototype, 'length', { get() { return k++ ? 4e9 : 1; } });
      Number.prototype[0] = 3;
      out.push(Array.prototype.map.call(5, (x) => x));
      out`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual([...Array(4).fill([[10], '5', true, 7, 5, 5, 5]), [3]]),
  },
  // The cap read maxByteLength once and V8 read it again: 1 to the cap, 2 ** 34 reserved.
  {
    name: 'a resizable ArrayBuffer whose maxByteLength answers the cap and V8 differently',
    source: `let n = 0, m = 0;
      const a = new ArrayBuffer(1, { get maxByteLength() { return n++ ? 2 ** 34 : 1; } });
      const b = new ArrayBuffer(1, { get maxByteLength() { return m++ ? 2 ** 34 : undefined; } });
      [a.maxByteLength, b.resizable, b.maxByteLength]`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual([1, false, 1]),
  },
  // The cap took maxByteLength from the budget before V8 refused it: a negative one refilled the budget.
  { name: 'a refused negative maxByteLength does not refill the resizable budget', source: 'try { new ArrayBuffer(0, { maxByteLength: -1e15 }); } catch {}\nnew ArrayBuffer(1, { maxByteLength: 2 ** 34 }).maxByteLength', kinds: ['memory_limit'] },
  {
    name: 'resizable ArrayBuffers V8 refuses or truncates take from the budget what V8 reserved',
    source: `const out = [];
      for (let i = 0; i < 100; i++) { try { new ArrayBuffer(2e6, { maxByteLength: 1e6 }); } catch (e) { out.push(e.name); } }
      for (const m of [-1, -0.5, NaN, 1.9]) { try { out.push(new ArrayBuffer(0, { maxByteLength: m }).maxByteLength); } catch (e) { out.push(e.name); } }
      out.push(new ArrayBuffer(1, { maxByteLength: 30 * 2 ** 20 }).maxByteLength);
      [out.length, out.slice(98)]`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual([105, ['RangeError', 'RangeError', 'RangeError', 0, 0, 1, 30 * 2 ** 20]]),
  },
  { name: 'resizable ArrayBuffer options given as a function', source: 'new ArrayBuffer(1, Object.assign(function () {}, { maxByteLength: 2 ** 34 })).maxByteLength', kinds: ['memory_limit'] },
  // Only the message was clipped at the top level: V8's stack repeats it, so the error was 5 MB.
  {
    name: 'a huge error thrown at the top level',
    source: 'throw new Error("m".repeat(5e6))',
    kinds: ['script_threw'],
    check: (r) => {
      expect(r.error!.message.length).toBeLessThanOrEqual(8193);
      expect(r.error!.stack.length).toBeLessThanOrEqual(16385);
      expect(r.error!.stack).toMatch(/\n\s+at .*:1:7/);
      expect(r.error!.line).toBe(1);
    },
  },
  {
    name: 'a huge error thrown at the top level of a module',
    source: 'await 0;\nthrow Object.assign(new Error("m".repeat(5e6)), { name: "N".repeat(1e5) });\nexport default 1;',
    kinds: ['script_threw'],
    check: (r) => {
      expect(r.error!.name.length).toBeLessThanOrEqual(201);
      expect(r.error!.message.length).toBeLessThanOrEqual(8193);
      expect(r.error!.stack.length).toBeLessThanOrEqual(16385);
      expect(r.error!.line).toBe(2);
    },
  },
  {
    name: 'a timer callback that throws',
    source: mod('return await new Promise((r) => { setTimeout(() => { throw new Error("late"); }, 1); setTimeout(() => r(2), 30); });'),
    kinds: 'success',
    check: (r) => {
      expect(r.returnValue).toBe(2);
      expect(r.stderr).toMatch(/^Uncaught Error: late\n\s+at .*:2:/);
      expect(r.stderr).not.toContain('<prelude>');
    },
  },
  {
    name: 'an error logged by the script shows the script\'s frames only',
    source: mod('console.log(new Error("here")); return 1;'),
    kinds: 'success',
    check: (r) => { expect(r.stdout).toContain('Error: here'); expect(r.stdout).not.toContain('<prelude>'); },
  },
  // Every line that mentioned <prelude> was dropped, the error's own message too.
  {
    name: 'an error whose message mentions <prelude> keeps its message',
    source: mod('console.log(new Error("bad tag <prelude> in\\nline two <prelude>")); return await new Promise((r) => { setTimeout(() => { throw new Error("late <prelude>"); }, 1); setTimeout(() => r(1), 30); });'),
    kinds: 'success',
    check: (r) => {
      expect(r.stdout).toMatch(/^Error: bad tag <prelude> in\nline two <prelude>\n\s+at .*:2:/);
      expect(r.stderr).toMatch(/^Uncaught Error: late <prelude>\n\s+at .*:2:/);
      expect(r.stdout + r.stderr).not.toMatch(/<prelude>:/);
    },
  },
  // A run whose isolate was disposed to stop work left going after its result reported no memory at all.
  {
    name: 'a run stopped after its result still reports its memory',
    source: mod('return await new Promise((r) => { setTimeout(() => { globalThis.keep = Array.from({ length: 1.5e6 }, (_, i) => i); }, 1); setTimeout(() => { r(1); (async () => { for (;;) await null; })(); }, 300); });'),
    kinds: 'success',
    check: (r) => { expect(r.returnValue).toBe(1); expect(r.usage.memoryBytes).toBeGreaterThan(10e6); },
  },
  {
    name: 'a static import named in UTF-8',
    source: 'import x from "ñ✓🎉";\nexport default () => x;',
    kinds: ['security_violation'],
    check: (r) => expect(r.error!.message).toBe('imports are not available in scripts: ñ✓🎉'),
  },
  // V8 sorts with no comparator, compares the element sought by indexOf/lastIndexOf/includes and adds
  // Object.fromEntries' keys in loops of its own deaf to the time limit (two strings of one length over 16,383
  // characters compared to the end): each of these held its worker until it was replaced.
  { name: 'sort with no comparator over 7e5 doubles', source: 'const a = Array.from({ length: 7e5 }, (_, i) => Math.sin(i)); a.sort(); a.length', kinds: ['timeout'], check: notReplaced },
  { name: 'toSorted with no comparator, again and again', source: 'const a = Array.from({ length: 5e5 }, (_, i) => Math.cos(i)); for (;;) a.toSorted();', kinds: ['timeout'], check: notReplaced },
  {
    name: 'indexOf, lastIndexOf and includes of a long string among slices of one text',
    source: `const L = 1e6, base = 'a'.repeat(L) + 'b'.repeat(1000), arr = [];
      for (let i = 0; i < 2e5; i++) arr.push(base.slice(i % 1000, i % 1000 + L));
      const x = 'a'.repeat(L - 1) + 'c';
      [arr.indexOf(x), arr.lastIndexOf(x), arr.includes(x)]`,
    kinds: ['timeout'],
    check: notReplaced,
  },
  {
    name: 'Object.fromEntries of long keys sliced from one text',
    source: "const L = 1e6, base = 'a'.repeat(L) + 'b'.repeat(5000), e = [];\nfor (let i = 0; i < 3000; i++) e.push([base.slice(i, i + L), 1]);\nObject.keys(Object.fromEntries(e)).length",
    kinds: ['timeout', 'memory_limit'], // each key internalised is a copy of its own (1 MB)
    check: notReplaced,
  },
  {
    name: 'sort and toSorted with no comparator order as V8 does',
    source: `const a = [3, 20, 100, -1, 'b', 'a', undefined, , null, 1.5, -0, 0, true, { toString() { return 'z'; } }, 1e21, 1e-7, NaN, -Infinity, '\\u{1F600}', '\\uffff', 'é', [2, 1]];
      const err = (f) => { try { return f(); } catch (e) { return [e.name, e.message]; } };
      [a.slice().sort(), a.toSorted(), Array.prototype.sort.call({ length: 4, 0: 'b', 1: 10, 3: 9 }), [, 'b', , 'a'].toSorted(),
        Array.prototype.toSorted.call(new Uint8Array([10, 9, 1])), err(() => [Symbol('s'), 'x'].sort()), err(() => [1, 2].sort(null)),
        err(() => [1, 2].toSorted(5)), [1, 2, 10].sort(undefined), Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000).sort().slice(0, 12)]`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
  {
    name: 'indexOf, lastIndexOf and includes of a long string answer as V8 does',
    source: `const x = 'q'.repeat(1500), same = () => 'q'.repeat(1499) + 'q';
      const a = [same(), 1, , 'q'.repeat(1499) + 'r', same(), 'x', same()], k = Object.keys;
      const like = { length: 4, 0: 'a', 2: same(), get 3() { return same(); } }, holes = [, , , ,];
      Object.prototype[1] = same();
      let r;
      try {
        r = [a.indexOf(x), a.indexOf(x, 1), a.indexOf(x, -1), a.indexOf(x, -100), a.indexOf(x, Infinity), a.indexOf(x, NaN),
          a.indexOf(x, { valueOf() { return 2; } }), a.indexOf(x, -Infinity), a.lastIndexOf(x), a.lastIndexOf(x, 3), a.lastIndexOf(x, -4),
          a.lastIndexOf(x, -Infinity), a.lastIndexOf(x, undefined), a.lastIndexOf(x, Infinity), a.includes(x), a.includes(x, 7), a.includes(x, -1),
          a.includes('q'.repeat(1499) + 's'), Array.prototype.indexOf.call(like, x), Array.prototype.lastIndexOf.call(like, x),
          Array.prototype.includes.call(like, x), Array.prototype.indexOf.call('abc', x), holes.indexOf(x), holes.includes(x),
          holes.lastIndexOf(x), [].indexOf(x, { valueOf() { throw new Error('read'); } }), k(a).length];
      } finally { delete Object.prototype[1]; }
      r`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
  {
    name: 'Object.fromEntries answers as V8 does',
    source: `const err = (f) => { try { return f(); } catch (e) { return [e.name, e.message]; } };
      let closed = 0;
      const closing = { [Symbol.iterator]() { let i = 0; return { next() { return i++ < 2 ? { value: i === 1 ? ['a', 1] : 5, done: false } : { done: true }; }, return() { closed++; return {}; } }; } };
      Object.defineProperty(Object.prototype, 'trap', { set(v) { throw new Error('setter ran'); }, configurable: true });
      let r;
      try {
        const o = Object.fromEntries([['b', 1], ['a', 2], [1, 3], ['__proto__', 4], ['trap', 5], [{ toString() { return 'k'; } }, 6], ['b', 7]]);
        r = [Object.entries(o), Object.getPrototypeOf(o) === Object.prototype, Object.fromEntries(new Map([['m', 1]])), Object.fromEntries(''),
          err(() => Object.fromEntries(null)), err(() => Object.fromEntries(['ab'])), err(() => Object.fromEntries(closing)), closed,
          err(() => Object.fromEntries(5)), err(() => Object.fromEntries({ [Symbol.iterator]: 5 })), err(() => Object.fromEntries(true)),
          err(() => Object.fromEntries({ [Symbol.iterator]() { return 5; } })), Object.fromEntries.length, Object.fromEntries.name, Object.getOwnPropertyDescriptor(o, 'a')];
      } finally { delete Object.prototype.trap; }
      r`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
  // A typed array's sort with no comparator runs in C++, deaf to the time limit (6e7 bytes: 5 s, 1.2e7 doubles: 3 s).
  {
    name: 'typed array sort with no comparator over 6e7 bytes, again and again',
    source: 'const a = new Uint8Array(6e7);\nfor (let i = 0; i < a.length; i++) a[i] = i * 7919 >> 3;\nfor (;;) { a.sort(); a.reverse(); }',
    memoryBytes: 96 * MiB,
    kinds: ['timeout'],
    check: notReplaced,
  },
  {
    name: 'typed array sort with no comparator over 1.2e7 doubles',
    source: 'const a = new Float64Array(1.2e7);\nfor (let i = 0; i < 65536; i++) a[i] = Math.sin(i);\nfor (let n = 65536; n < a.length; n *= 2) a.copyWithin(n, 0, n);\na.sort();\na[0]',
    memoryBytes: 128 * MiB,
    kinds: ['timeout'],
    check: notReplaced,
  },
  {
    name: 'typed array sort and toSorted with no comparator order as V8 does',
    source: `const types = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float16Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
      let seed = 7;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      const gens = [() => rnd() * 2e9 - 1e9, (i) => [0, -0, 1, -1, NaN, 2.5, Infinity, -Infinity][i % 8], (i) => -i, (i) => (i % 3 ? 0 : -0), (i) => (rnd() * 300 | 0) - 150];
      const digest = (t) => { const b = new Uint8Array(t.buffer, t.byteOffset, t.byteLength); let h = 2166136261; for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619); return h >>> 0; };
      const out = [];
      for (const T of types) for (const g of gens) {
        const a = new T(70001), big = T.name.startsWith('Big');
        for (let i = 0; i < a.length; i++) { const v = g(i); a[i] = big ? BigInt(Number.isFinite(v) ? Math.trunc(v) : 3) : v; }
        const s = a.toSorted();
        out.push([T.name, digest(a.sort()), digest(s), s instanceof T, s !== a, String(a[0]), String(a[70000])]);
      }
      const err = (f) => { try { return f(); } catch (e) { return [e.name, e.message]; } };
      const shared = new Float64Array(new ArrayBuffer(8 * 70010), 16, 70000);
      for (let i = 0; i < shared.length; i++) shared[i] = Math.cos(i);
      shared.sort();
      out.push(err(() => Uint8Array.prototype.sort.call([2, 1])), err(() => new Uint8Array(70000).sort(5)), err(() => new Uint8Array(70000).toSorted('x')),
        [Uint8Array.prototype.sort.name, Uint8Array.prototype.sort.length, Uint8Array.prototype.toSorted.name, Uint8Array.prototype.toSorted.length],
        digest(shared), new Int32Array([3, -1, 2]).sort((x, y) => y - x).join());
      out`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
  // The prelude's own envelopes were objects with Object.prototype: the script's toJSON wrote the error the
  // worker read (any kind: worker_crashed, retryable, or security_violation), a 'stack' getter the stack of a
  // return value's error, and a field a tool's reply left out was read from the script's getter.
  {
    name: 'an error the script cannot forge through Object.prototype.toJSON',
    source: "Object.prototype.toJSON = function () { return { kind: 'worker_crashed', name: 'X', message: 'forged', stack: '', head: 0 }; };\nthrow new Error('real')",
    kinds: ['script_threw'],
    check: (r) => expect([r.error!.name, r.error!.message]).toEqual(['Error', 'real']),
  },
  {
    name: "a return value's error the script cannot give a stack",
    source: "Object.defineProperty(Object.prototype, 'stack', { get() { return 'forged'; } });\n[1n]",
    kinds: ['invalid_return_value'],
    check: (r) => expect(r.error!.stack).not.toContain('forged'),
  },
  {
    name: "a tool's failure the script cannot make a security violation",
    source: mod("Object.defineProperty(Object.prototype, 'refused', { get() { return true; } });\nawait ctx.tools.t({});"),
    tools: ['t'],
    kinds: ['tool_error'],
    check: (r) => expect(r.error!.name).toBe('ToolError'),
  },
  // V8's String lastIndexOf compares at every position up to the whole string sought, deaf to the time limit.
  { name: 'String lastIndexOf of a long string missing at its end', source: "'a'.repeat(1e7).lastIndexOf('a'.repeat(1e5) + 'b')", kinds: ['timeout'], check: notReplaced },
  {
    name: 'String lastIndexOf answers as V8 does',
    source: `const s = 'ab'.repeat(150000) + 'a'.repeat(5000) + 'ab'.repeat(1000), x = 'a'.repeat(3000) + 'b', y = 'ba'.repeat(400);
      const err = (f) => { try { return f(); } catch (e) { return [e.name, e.message]; } };
      [s.lastIndexOf(x), s.lastIndexOf(x, 304000), s.lastIndexOf(x, 1e3), s.lastIndexOf(y), s.lastIndexOf(y, 100001), s.lastIndexOf(y, -5),
        s.lastIndexOf(y, NaN), s.lastIndexOf(y, '250000'), s.lastIndexOf(y, { valueOf() { return 12345; } }), s.lastIndexOf(y, -Infinity),
        s.lastIndexOf('', 7), s.lastIndexOf(s + 'a'), String.prototype.lastIndexOf.call({ toString() { return s; } }, y),
        err(() => s.lastIndexOf(y, 1n)), err(() => s.lastIndexOf(Symbol())), String.prototype.lastIndexOf.length, 'abcabc'.lastIndexOf('c', 3)]`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
  // console.log printed a typed array as JSON (every index a key) or, past the key bound, String() of it (every
  // element joined): a Uint8Array(4e7) ran out of memory, one of 1e6 took over a second.
  {
    name: 'console.log of a typed array of 4e7 bytes',
    source: 'console.log(new Uint8Array(4e7));\n1',
    memoryBytes: 96 * MiB,
    kinds: 'success',
    check: (r) => expect(r.stdout).toBe(`Uint8Array(40000000) [${Array(100).fill(0).join(', ')}, ... 39999900 more items]\n`),
  },
  {
    name: 'console.log shows typed arrays as Node does, and DataViews and Proxies as before',
    source: `const f = new Float64Array([-0, 0, NaN, -Infinity, 1.5]), b = new BigInt64Array([-(2n ** 63n), 5n]), u = new Uint16Array(101).fill(7);
      console.log(f, b, new Uint8Array(0), u.subarray(99), new Int8Array(new ArrayBuffer(4)).subarray(1, 3));
      console.log(u);
      const d = new Uint8Array(8); d.buffer.transfer();
      console.log(d, new DataView(new ArrayBuffer(2)), new Proxy(new Uint8Array([1, 2]), {}), { t: new Uint8Array([3]) });
      1`,
    kinds: 'success',
    check: (r) => expect(r.stdout.split('\n')).toEqual([
      'Float64Array(5) [-0, 0, NaN, -Infinity, 1.5] BigInt64Array(2) [-9223372036854775808n, 5n] Uint8Array(0) [] Uint16Array(2) [7, 7] Int8Array(2) [0, 0]',
      `Uint16Array(101) [${Array(100).fill(7).join(', ')}, ... 1 more item]`,
      'Uint8Array(0) [] {} {"0":1,"1":2} {"t":"Uint8Array(1) [3]"}',
      '',
    ]),
  },
  // JSON.parse internalises each key, and V8 compares two keys of one length over 16,383 characters to their end,
  // deaf to the time limit: 1,200 distinct keys of 20,000 characters held a worker 5 s.
  {
    name: 'JSON.parse of many distinct long keys of one length',
    source: `const L = 2e4, p = 'a'.repeat(L), q = 'ab' + String.fromCharCode(92) + '"', plain = [], escaped = [];
      for (let i = 0; i < 1200; i++) plain.push('"' + p.slice(0, L - 6) + (100000 + i) + '":1');
      for (let i = 0; i < 200; i++) escaped.push('"' + q.repeat(6000) + (100000 + i) + '" :1'); // 18,006 characters decoded
      const err = (f) => { try { f(); return 'parsed'; } catch (e) { return [e.name, e.message.slice(0, 11)]; } };
      [err(() => JSON.parse('{' + plain.join(',') + '}')), err(() => JSON.parse('[{' + escaped.join('},{') + '}]'))]`,
    memoryBytes: 96 * MiB,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual([['RangeError', 'JSON.parse:'], ['RangeError', 'JSON.parse:']]),
  },
  {
    name: 'JSON.parse of a long text with long keys answers as V8 does',
    source: `const bs = String.fromCharCode(92), L = 17000, p = 'k'.repeat(L);
      const parts = ['"v":"' + ('x' + bs + '"').repeat(2e5) + '"', '"e' + bs + bs + '":[' + '1,'.repeat(3e5) + '2]'];
      for (let i = 0; i < 100; i++) parts.push('"' + p + (i % 50) + (i % 3 ? bs + '"' : '') + '"' + ' \\n'.repeat(i % 4) + ':' + i);
      const text = '{' + parts.join(',') + '}';
      let calls = 0;
      const o = JSON.parse(text), r = JSON.parse(text, function (k, v) { calls++; return typeof v === 'number' ? v + 1 : v; });
      const err = (f) => { try { return f(); } catch (e) { return [e.name, e.message]; } };
      [text.length > 2 ** 21, Object.keys(o).map((k) => k.length), Object.values(o).slice(2).join(), o.v.length, o['e' + bs].length, calls,
        Object.values(r).slice(2).join(), err(() => JSON.parse(text + ']')), err(() => JSON.parse(text.slice(0, -1))),
        JSON.parse({ toString() { return text; } }).v.length, JSON.parse.length, JSON.parse.name, JSON.parse(null), JSON.parse('"x"')]`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
  // join made every element a string in a loop of V8's, deaf to the time limit, holding them all at once:
  // 1.2e6 doubles took 0.5 s and ~100 MB (so 6e6 at a 512 MiB limit held a worker past its limit).
  {
    name: 'join of 1.5e6 distinct doubles',
    source: "const a = [];\nfor (let i = 0; i < 1.5e6; i++) a.push(Math.sin(i) * 1e3);\n[a.join().length, String(a).length, a.join('; ').length]",
    memoryBytes: 64 * MiB,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
  {
    name: 'join of a long array answers as V8 does',
    source: `const a = Array.from({ length: 200000 }, (_, i) => (i % 7 === 0 ? undefined : i % 11 === 0 ? null : i % 5 === 0 ? [i, [i + 1]] : i * 0.5));
      delete a[3]; delete a[70000]; a[140000] = a; a[140001] = [a, 1]; Array.prototype[70000] = 'proto';
      Object.defineProperty(a, 150000, { get() { return 'getter'; } });
      class Sub extends Array {}
      const sub = Sub.from({ length: 70000 }, (_, i) => i);
      const err = (f) => { try { return f(); } catch (e) { return [e.name, e.message]; } };
      const digest = (t) => { let h = 2166136261; for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619); return [t.length, h >>> 0]; };
      let r;
      try {
        r = [digest(a.join()), digest(a.join('-')), digest(a.join({ toString() { return '<>'; } })), digest(a.join(undefined)), digest(String(a)),
          digest(sub.join(' ')), digest([a, a].join(';')), err(() => a.join(Symbol()))];
      } finally { delete Array.prototype[70000]; }
      r`,
    kinds: 'success',
    check: (r) => expect(r.returnValue).toEqual(native(r.source)),
  },
];

describe('hostile corpus', () => {
  for (const c of corpus) {
    it(c.name, async () => {
      // 1.5 s keeps the cases that must time out short; the others get 20 s, their wall limit no subject:
      // on a loaded machine filling 32 MiB or a 300 ms timer took over 1.5 s, and they timed out instead.
      const wallTimeoutMs = c.wallTimeoutMs ?? (c.kinds !== 'success' && c.kinds.includes('timeout') ? limits.wallTimeoutMs : 20_000);
      const r = await run(engine, c.source, { executionId: `case: ${c.name}`, limits: { ...limits, wallTimeoutMs, memoryBytes: c.memoryBytes ?? limits.memoryBytes, tools: c.tools ?? [] } as never });
      if (c.kinds === 'success') {
        expect(r.error, JSON.stringify(r.error)).toBeUndefined();
        expect(r.success).toBe(true);
      } else {
        expect(r.success).toBe(false);
        expect(c.kinds, JSON.stringify(r.error)).toContain(r.error!.kind);
      }
      expect(r.error?.stack ?? '').not.toMatch(/\/work\/|node_modules|file:\/\//);
      c.check?.({ ...r, source: c.source });
      await expectHealthy(engine);
    }, 30_000);
  }

  it('a static import named in UTF-8 is named as written by CompileScript', async () => {
    const err = await engine.compile('import x from "ñ✓🎉";\nexport default () => x;').then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain('imports are not available in scripts: ñ✓🎉');
  });

  // The result settled in a timer callback that then left a loop of microtasks going: the answer waited
  // for the whole CPU budget (the host read the isolate, whose thread the loop held) and said success.
  it('work left going after the result settled does not hold the answer', async () => {
    const t0 = performance.now();
    const r = await run(engine, mod('return await new Promise((r) => setTimeout(() => { r(1); (async () => { for (;;) await null; })(); }, 10));'),
      { limits: { ...limits, wallTimeoutMs: 30_000 } as never });
    expect(r.error).toBeUndefined();
    expect(r.returnValue).toBe(1);
    expect(performance.now() - t0).toBeLessThan(10_000); // the CPU budget is 30 s
    await expectHealthy(engine);
  }, 60_000);

  it('a fresh context per execution: no state survives', async () => {
    await run(engine, "Object.prototype.polluted = 'yes'; globalThis.leak = 42; Array.prototype.push = null; 1");
    for (let i = 0; i < 4; i++) {
      const r = await run(engine, "[typeof globalThis.leak, ({}).polluted, typeof [].push, JSON.stringify({a:1})]");
      expect(r.returnValue).toEqual(['undefined', null, 'function', '{"a":1}']); // undefined becomes null in JSON
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never needed a worker restart', () => {
    expect(engine.stats().workerRestarts, JSON.stringify(exits)).toBe(0);
    expect(engine.stats().isolateRecycles).toBeGreaterThan(0);
  });
});
