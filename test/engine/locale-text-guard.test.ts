// Intl.ListFormat's format, collation and locale case mapping copy their text into ICU, outside the
// heap and deaf to the time limit: past LOCALE_FREE_CHARS a call takes its text's cost from the
// off-heap budget while it runs, and one that does not fit is refused before ICU starts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);

// 20 items of 16M characters took a bare 50 MiB isolate to 2.7 GB of RSS in 5.7 s, deaf to its timeout.
for (const [what, call] of [
  ['Intl.ListFormat#format', 'new Intl.ListFormat().format(Array(20).fill("x".repeat(2 ** 24))).length'],
  ['Intl.ListFormat#formatToParts', 'new Intl.ListFormat("en", { type: "unit" }).formatToParts(Array(8).fill("x".repeat(2 ** 24))).length'],
  ['toLocaleUpperCase', '"x".repeat(2 ** 28).toLocaleUpperCase("tr").length'],
  ['toLocaleLowerCase', 'new String("X".repeat(2 ** 28)).toLocaleLowerCase("lt").length'],
  ['localeCompare', 'const s = "x".repeat(2 ** 27); s.localeCompare(s + "y")'],
  ['Intl.Collator#compare', 'const s = "x".repeat(2 ** 27); new Intl.Collator("de").compare(s, s + "y")'],
]) {
  it(`${what} on huge text is refused at once: a RangeError the script can catch, memory_limit if not`, async () => {
    const neighbours = [parkedNeighbour(engine), parkedNeighbour(engine)];
    await new Promise((r) => setTimeout(r, 300));
    const restarts = engine.stats().workerRestarts;
    const caught = await value(`try { ${call}; "ran" } catch (e) { [e.name, e.message] }`);
    expect(caught).toEqual(['RangeError', expect.stringMatching(/characters are too much text for one call \(ICU copies it outside the heap.*at most \d+ now\)$/)]);
    const r = await run(engine, call);
    expect(r.error?.kind, JSON.stringify(r.error)).toBe('memory_limit');
    expect(engine.stats().workerRestarts).toBe(restarts); // refused, not stopped by replacing the worker
    for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
    await expectHealthy(engine);
  }, 20_000);
}

it('text a script needs is not refused, and each call gives its charge back', async () => {
  // 3M characters take 30 MB of a 50 MiB budget for the call: kept, the second call would be refused.
  expect(await value(`const s = "ab".repeat(1.5e6), t = s.slice(1.5e6); let n = 0;
    for (let i = 0; i < 20; i++) n += new Intl.ListFormat().format([s]).length + s.toLocaleUpperCase("tr").length + s.localeCompare(t) +
      new Intl.Collator().compare(s, t) + s.toLocaleLowerCase().length;
    n`)).toBe(20 * (9e6 + 2));
});

it('ListFormat, Collator and the String methods behave as the builtins', async () => {
  expect(await value(`const lf = new Intl.ListFormat("en"), out = [];
    out.push(lf.format(["a", "b", "c"]), lf.format(), lf.format("xy"), lf.formatToParts(new Set(["a", "b"])).map((p) => p.type + ":" + p.value).join("|"));
    function* gen() { yield "p"; yield "q"; }
    out.push(lf.format(gen()));
    let closed = 0;
    const it = { [Symbol.iterator]() { let i = 0; return { next: () => ({ value: i++ ? 5 : "a", done: false }), return() { closed++; return {}; } }; } };
    for (const f of [() => lf.format(it), () => lf.format(null), () => Intl.ListFormat.prototype.format.call({}, ["a"]), () => lf.formatToParts([1])]) {
      try { f(); out.push("no error"); } catch (e) { out.push(e.name); }
    }
    out.push(closed, lf.format.name, lf.format.length, lf.formatToParts.name, lf.formatToParts.length);
    const c = new Intl.Collator("de"), cmp = c.compare;
    out.push(cmp === c.compare, cmp.length, cmp.name, ["b", "a", "ä"].sort(cmp).join(""), cmp(1, "1"), cmp({ toString: () => "b" }, "a"));
    try { cmp(Symbol(), "a"); out.push("no error"); } catch (e) { out.push(e.name); }
    out.push("a".localeCompare("b"), "a".localeCompare("A", "en", { sensitivity: "base" }), String.prototype.localeCompare.call(5, "5"),
      "i".toLocaleUpperCase("tr"), "İ".toLocaleLowerCase("en-US"), String.prototype.toLocaleUpperCase.call(true),
      "a".localeCompare.length, "a".toLocaleUpperCase.length, "a".toLocaleLowerCase.name);
    for (const f of [() => String.prototype.localeCompare.call(null, "a"), () => "a".localeCompare(Symbol()), () => String.prototype.toLocaleUpperCase.call(undefined)]) {
      try { f(); out.push("no error"); } catch (e) { out.push(e.name); }
    }
    out`)).toEqual([
    'a, b, and c', '', 'x and y', 'element:a|literal: and |element:b', 'p and q',
    'TypeError', 'TypeError', 'TypeError', 'TypeError',
    1, 'format', 1, 'formatToParts', 1,
    true, 2, '', 'aäb', 0, 1, 'TypeError',
    -1, 0, 0, 'İ', 'i̇', 'TRUE', 1, 0, 'toLocaleLowerCase',
    'TypeError', 'TypeError', 'TypeError',
  ]);
});
