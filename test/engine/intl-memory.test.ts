// Intl objects hold ICU memory outside the heap, unseen by the isolate's limit: the prelude charges
// each one made to the script's off-heap budget (the memory limit's size).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);
const parked = () => parkedNeighbour(engine);

// 200k DateTimeFormats (~26 KB of ICU memory each, ~4 MiB of heap in all) grew the worker past its
// 1 GiB budget: it was replaced, and the executions parked in it failed WORKER_CRASHED.
for (const [what, source] of [
  ['DateTimeFormat', 'const keep = []; for (let i = 0; i < 200000; i++) keep.push(new Intl.DateTimeFormat("en", { timeZone: "UTC", hour: "numeric" })); keep.length'],
  ['Segmenter.segment', 'const keep = [], s = new Intl.Segmenter("en", { granularity: "word" }); for (let i = 0; i < 300000; i++) keep.push(s.segment("hello world")); keep.length'],
  ['DateTimeFormat inside main', 'export default function main() { const keep = []; for (let i = 0; i < 200000; i++) keep.push(Intl.DateTimeFormat("en")); return keep.length; }'],
]) {
  it(`Intl.${what} kept by the thousand hits the memory limit; a parked neighbour is unharmed`, async () => {
    const neighbours = [parked(), parked()];
    await new Promise((r) => setTimeout(r, 300));
    const restarts = engine.stats().workerRestarts;
    // A 20 s wall: the memory limit must stop it, however long a loaded machine takes to get there.
    const r = await run(engine, source, { limits: { wallTimeoutMs: 20_000 } as never });
    expect(r.error?.kind, JSON.stringify(r.error)).toBe('memory_limit');
    expect(engine.stats().workerRestarts).toBe(restarts); // stopped in its isolate, not by replacing the worker
    for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
    await expectHealthy(engine);
  }, 20_000);
}

it('the constructors behave as before: prototype, instanceof, new.target, subclasses, calls without new', async () => {
  expect(await value(`const D = Intl.DateTimeFormat, d = new D("en", { timeZone: "UTC" });
    class Mine extends Intl.Segmenter { constructor() { super("en", { granularity: "word" }); this.tag = new.target === Mine; } }
    const m = new Mine();
    let noNew; try { Intl.Segmenter(); } catch (e) { noNew = e.name; }
    const legacy = Object.create(D.prototype);
    [d instanceof D, Object.getPrototypeOf(d) === D.prototype, D.prototype.constructor === D, d.constructor === D,
     D.name, D.length, typeof D.supportedLocalesOf("en"), D("en") instanceof D, D.call(legacy) === legacy,
     m instanceof Mine, m instanceof Intl.Segmenter, m.tag, [...m.segment("a b")].length, noNew,
     new Intl.NumberFormat("en").format(1234.5), new Intl.Collator("en").compare("a", "b"),
     new Intl.RelativeTimeFormat("en").format(-1, "day"), new Intl.PluralRules("en").select(1),
     d.format(0), Intl.Segmenter.prototype.segment.name, Intl.Segmenter.prototype.segment.length,
     Reflect.construct(Intl.DateTimeFormat, [], Mine) instanceof Mine]`)).toEqual([
    true, true, true, true, 'DateTimeFormat', 0, 'object', true, true,
    true, true, true, 3, 'TypeError',
    '1,234.5', -1, '1 day ago', 'one', '1/1/1970', 'segment', 1, true]);
});

it('a method stays no constructor, and a failed construction gives its charge back', async () => {
  expect(await value(`const seg = new Intl.Segmenter(), segs = seg.segment("ab");
    const out = [];
    for (const f of [Intl.Segmenter.prototype.segment, segs[Symbol.iterator]]) { try { new f(); out.push("made"); } catch (e) { out.push(e.name); } }
    let bad = 0;
    for (let i = 0; i < 5000; i++) { try { new Intl.DateTimeFormat("en", { timeZone: "Nowhere/Never" }); } catch (e) { if (e.name === "RangeError" && /time zone/i.test(e.message)) bad++; } }
    out.push(bad, new Intl.DateTimeFormat("en").format(0));
    out`)).toEqual(['TypeError', 'TypeError', 5000, '1/1/1970']);
});

it('scripts within budget are not refused, and Date#toLocaleString is free', async () => {
  expect(await value(`let n = 0;
    for (let i = 0; i < 1000; i++) n += new Intl.DateTimeFormat("en", { timeZone: "UTC" }).format(i).length > 0;
    for (let i = 0; i < 5000; i++) n += new Date(i * 1e9).toLocaleString("en", { timeZone: "UTC", hour: "numeric" }).length > 0;
    for (const w of new Intl.Segmenter("en", { granularity: "word" }).segment("one two three")) n += w.isWordLike;
    n`)).toBe(6003);
});

it('resizable ArrayBuffers and Intl objects share one budget', async () => {
  const r = await run(engine, 'const b = new ArrayBuffer(8, { maxByteLength: 49 * 1048576 }); const keep = []; for (let i = 0; i < 100; i++) keep.push(new Intl.DateTimeFormat()); keep.length');
  expect(r.error?.kind, JSON.stringify(r.error)).toBe('memory_limit');
  expect(await value('const keep = []; for (let i = 0; i < 100; i++) keep.push(new Intl.DateTimeFormat()); new ArrayBuffer(8, { maxByteLength: 40 * 1048576 }).maxByteLength')).toBe(40 * 1048576);
});

it('a caught refusal is the script\'s to handle; says what to do', async () => {
  expect(await value(`let msg; const keep = [];
    try { for (;;) keep.push(new Intl.DateTimeFormat()); } catch (e) { msg = e.name + ": " + e.message; }
    [keep.length > 1000, msg]`)).toEqual([true, expect.stringMatching(/^RangeError: Intl\.DateTimeFormat exceeds the memory limit.*reuse one$/)]);
});

// The wrapping waits for the script's first look into Intl.
it('Intl keeps its shape; whatever the script looks at first, or pollutes before, the constructors are wrapped', async () => {
  expect(await value(`const d = Object.getOwnPropertyDescriptor(globalThis, 'Intl');
    [typeof Intl, d.writable, d.enumerable, d.configurable, d.value === Intl, String(Intl), Object.getPrototypeOf(Intl) === Object.prototype,
     Object.getOwnPropertyNames(Intl).includes('DateTimeFormat'), 'Segmenter' in Intl]`)).toEqual(['object', true, false, true, true, '[object Intl]', true, true, true]);
  for (const first of ['Object.getOwnPropertyDescriptor(Intl, "DateTimeFormat").value', 'Object.getOwnPropertyDescriptors(Intl).DateTimeFormat.value',
    '(Object.freeze(Intl), Intl.DateTimeFormat)', 'Reflect.get(Intl, "DateTimeFormat")']) {
    const r = await run(engine, `const D = ${first}; const keep = []; for (let i = 0; i < 200000; i++) keep.push(new D()); keep.length`);
    expect(r.error?.kind, first + ': ' + JSON.stringify(r.error)).toBe('memory_limit');
  }
  expect(await value(`Object.defineProperty(Object.prototype, 'get', { value() { return 1; }, configurable: true });
    const keep = []; let name;
    try { for (;;) keep.push(new Intl.DateTimeFormat()); } catch (e) { name = e.name; }
    delete Object.prototype.get;
    [name, keep.length > 1000, keep.length < 2000]`)).toEqual(['RangeError', true, true]);
  expect(await value('const I = Intl; Intl = 5; [Intl, typeof I.DateTimeFormat]')).toEqual([5, 'function']);
  expect(await value('Intl = 5; Intl')).toBe(5);
});
