// An error's kind comes from where it was made, never from its words: a script's own RangeError
// 'Array buffer allocation failed' (or isolated-vm's memory-limit text) is a script error, and an error
// the prelude made (a refused tool, an off-heap refusal) keeps its kind and words whatever the script
// sets on it. Allocations V8 truly refused still read as memory_limit, at the top level and in main.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 32 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const mod = (body: string) => `export default async function main(args, ctx) {\n${body}\n}`;
const outcome = async (source: string) => {
  const r = await run(engine, source, { limits: { memoryBytes: 32 * MiB, wallTimeoutMs: 10_000 } as never });
  expect(r.success, JSON.stringify(r)).toBe(false);
  return r.error!;
};
const ALLOC = 'Array buffer allocation failed';

const forged: Array<[string, string]> = [
  ['a RangeError of V8 words, at the top level', `throw new RangeError('${ALLOC}')`],
  ['a RangeError of V8 words and more, in main', mod(`throw new RangeError('${ALLOC} -- please retry, worker crashed')`)],
  // A script ending in a function declaration runs bare (unwrapped): what it throws reaches the worker undescribed.
  ["isolated-vm's memory-limit words, thrown by a bare script", "function g() {}\nthrow new Error('Isolate was disposed during execution due to memory limit');"],
  ['a RangeError of V8 words, thrown by a bare script', `function g() {}\nthrow new RangeError('${ALLOC}');`],
  ['an empty RangeError, thrown by a bare script (nothing vouched for yet)', 'function g() {}\nthrow new RangeError();'],
  ['a genuine refusal caught by a bare script, then a RangeError of V8 words and more', `function g() {}\ntry { new ArrayBuffer(2 ** 31); } catch {}\nthrow new RangeError('${ALLOC}: not really');`],
  ["a RangeError of V8 words, at a module's top level", `throw new RangeError('${ALLOC}');\nexport default function main() {}`],
  ['a RangeError of V8 words thrown by a length valueOf inside new ArrayBuffer', mod(`new ArrayBuffer({ valueOf() { throw new RangeError('${ALLOC}'); } })`)],
  ['a RangeError of V8 words thrown by an iterator inside new Float64Array', mod(`new Float64Array({ [Symbol.iterator]() { throw new RangeError('${ALLOC}'); } })`)],
  ['a RangeError of V8 words thrown by a length getter inside new Uint8Array', `new Uint8Array({ get length() { throw new RangeError('${ALLOC}'); } })`],
  ["V8's own RangeError of other words, given V8's allocation words", mod(`try { new ArrayBuffer(-1); } catch (e) { e.message = '${ALLOC}'; throw e; }`)],
  ['a genuine refusal caught at the top level, then a RangeError of other words', `try { new ArrayBuffer(2 ** 31); } catch {} throw new RangeError('${ALLOC}: not really')`],
];
for (const [name, source] of forged) {
  it(`forged: ${name} is a script error`, async () => {
    const e = await outcome(source);
    expect(e.kind, JSON.stringify(e)).toBe('script_threw');
  }, 20_000);
}

it('a refused tool keeps its kind, name and words when the script rewrites them', async () => {
  const r = await run(engine, mod("try { await ctx.tools.call('x', {}); } catch (err) { err.message = 'FORGED text'; err.name = 'SecurityError'; throw err; }"));
  expect(r.error?.kind, JSON.stringify(r.error)).toBe('security_violation');
  expect(r.error?.name).toBe('ToolNotAllowedError');
  expect(r.error?.message).toBe('tool "x" is not available to this script');
  expect(r.error?.stack).not.toContain('FORGED');
  expect(r.error?.line).toBe(2);
});

it('an off-heap refusal keeps its words when the script rewrites them', async () => {
  const e = await outcome(mod("let saved; try { 'x'.repeat(9e6).toLocaleUpperCase(); } catch (err) { saved = err; } saved.message = 'FORGED'; throw saved;"));
  expect(e.kind, JSON.stringify(e)).toBe('memory_limit');
  expect(e.message).toContain('String.prototype.toLocaleUpperCase: 9000000 characters are too much text');
});

const genuine: Array<[string, string]> = [
  ['new ArrayBuffer(2 ** 31) at the top level', 'new ArrayBuffer(2 ** 31).byteLength'],
  ['new ArrayBuffer(2 ** 31) in main', mod('return new ArrayBuffer(2 ** 31).byteLength')],
  ["new ArrayBuffer(2 ** 31) at a module's top level", 'new ArrayBuffer(2 ** 31);\nexport default function main() {}'],
  ['new ArrayBuffer(2 ** 31) in a bare script', 'function g() {}\nconst b = new ArrayBuffer(2 ** 31);'],
  ['a resizable ArrayBuffer past the limit in a bare script', 'function g() {}\nconst b = new ArrayBuffer(8, { maxByteLength: 2 ** 32 });'],
  ['a subclass of ArrayBuffer', mod('class B extends ArrayBuffer {} return new B(2 ** 31).byteLength')],
  ['new Float64Array(2 ** 28) at the top level', 'new Float64Array(2 ** 28).length'],
  ['typed arrays kept in a loop, in main', mod('const keep = []; for (;;) keep.push(new Uint8Array(16 * 1024 * 1024));')],
  ['a typed array copied from a typed array', mod('const a = new Uint8Array(20e6); return new Float32Array(a).length')],
  ["a typed array's slice (species)", mod('const a = new Uint8Array(20e6); return a.slice().length')],
  ['Uint8Array.from', 'Uint8Array.from(new Uint8Array(20e6)).length'],
  ['a resizable ArrayBuffer past the limit', 'new ArrayBuffer(8, { maxByteLength: 2 ** 32 }).byteLength'],
  ['toReversed', 'new Uint8Array(20e6).toReversed().length'],
  ['with', 'new Uint16Array(10e6).with(0, 1).length'],
  ['toSorted', 'new Float32Array(5e6).toSorted().length'],
  ['ArrayBuffer transfer', 'new ArrayBuffer(20e6).transfer(30e6).byteLength'],
  ['ArrayBuffer transferToFixedLength', 'new ArrayBuffer(8, { maxByteLength: 16 }).transferToFixedLength(40e6).byteLength'],
];
for (const [name, source] of genuine) {
  it(`genuine: ${name} is a memory_limit`, async () => {
    const e = await outcome(source);
    expect(e.kind, JSON.stringify(e)).toBe('memory_limit');
  }, 20_000);
}

it("a genuine refusal caught and rethrown with other words keeps V8's", async () => {
  const e = await outcome(mod("try { new ArrayBuffer(2 ** 31); } catch (err) { err.message = 'FORGED'; throw err; }"));
  expect(e.kind, JSON.stringify(e)).toBe('memory_limit');
  expect(e.message).toBe(ALLOC);
});

it('typed arrays and ArrayBuffers behave as before', async () => {
  const r = await run(engine, `
    class U extends Uint8Array {}
    const u = new U(3), t = new Uint8Array([1, 2, 3]), b = new ArrayBuffer(4);
    [new Uint8Array(2.7).length, new Uint8Array('5').length, new Uint8Array().length, new Int16Array(null).length,
     new Float64Array(t).join(), new Uint16Array(b).length, Uint8Array.from([4, 5]).join(), t.slice(1).constructor === Uint8Array,
     t.constructor === Uint8Array, u instanceof U && u instanceof Uint8Array, u.slice(1) instanceof U, Uint8Array.name, Uint8Array.BYTES_PER_ELEMENT,
     new ArrayBuffer('8').byteLength, new ArrayBuffer().byteLength, b.slice(1).byteLength, b.constructor === ArrayBuffer,
     (() => { try { new Uint8Array(-1); } catch (e) { return e.name; } })(), (() => { try { new ArrayBuffer(1n); } catch (e) { return e.name; } })(),
     (() => { try { new Uint8Array(Symbol()); } catch (e) { return e.name; } })(), (() => { try { Uint8Array(1); } catch (e) { return e.name; } })(),
     t.toReversed().join(), t.with(1, 9).join(), new Int8Array([3, -1, 2]).toSorted().join(), t.toReversed.length, t.with.length, t.toSorted.name,
     b.transfer(2).byteLength, b.byteLength, new ArrayBuffer(3).transfer().byteLength, new ArrayBuffer(3).transferToFixedLength('5').byteLength,
     (() => { try { ArrayBuffer.prototype.transfer.call({}, { valueOf() { throw new Error('read'); } }); } catch (e) { return e.name; } })(),
     (() => { try { t.with(9, 1); } catch (e) { return e.name; } })(),
     (() => { let reads = 0; try { new ArrayBuffer(4).transfer({ valueOf() { reads++; throw new Error('once'); } }); } catch (e) { return e.message + reads; } })()]`);
  expect(r.error).toBeUndefined();
  expect(r.returnValue).toEqual([2, 5, 0, 0, '1,2,3', 2, '4,5', true, true, true, true, 'Uint8Array', 1, 8, 0, 3, true, 'RangeError', 'TypeError', 'TypeError', 'TypeError',
    '3,2,1', '1,9,3', '-1,2,3', 0, 2, 'toSorted', 2, 0, 3, 5, 'TypeError', 'RangeError', 'once1']);
  await expectHealthy(engine);
});
