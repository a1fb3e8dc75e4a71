// ICU collates (localeCompare, Intl.Collator's compare) deaf to the time limit, and a run of combining
// marks it must reorder costs time growing with the run's square or worse: "\u0f73".repeat(32000)
// compared with itself held a worker past 20 s until it was replaced. Strings over COLLATE_SCAN_FROM
// code units are weighed first, in scans the time limit reaches; a long run of marks, or too much work
// in all, is a RangeError before ICU starts.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);
const caught = (call: string) => value(`try { ${call}; "ran" } catch (e) { [e.name, e.message] }`);

for (const [what, call] of [
  ['String.prototype.localeCompare', 'const s = "\\u0f73".repeat(32000); s.localeCompare(s.slice(0, -1) + "\\0")'],
  ['Intl.Collator.prototype.compare', 'const s = "\\u0f73".repeat(32000); new Intl.Collator("en", { sensitivity: "base" }).compare(s, s.slice(0, -1) + "\\0")'],
]) {
  it(`${what} on a long run of combining marks is refused at once; the worker's neighbours are untouched`, async () => {
    const neighbour = parkedNeighbour(engine);
    await new Promise((r) => setTimeout(r, 300));
    expect(await caught(call)).toEqual(['RangeError', `${what}: a run of 32000 combining marks from index 0 (at most 32; ICU reorders a run in time growing with its square, deaf to the time limit)`]);
    const r = await run(engine, call);
    expect(r.error, JSON.stringify(r.error)).toMatchObject({ kind: 'script_threw', name: 'RangeError' });
    expect((await neighbour).returnValue).toBe('neighbour ok');
    await expectHealthy(engine);
  }, 30_000);
}

it('many short runs of marks past the work bound are refused too', async () => {
  const [name, message] = await caught('const s = ("a" + "\\u0f73".repeat(8)).repeat(1e5); ("a" + s).localeCompare("A" + s)') as string[];
  expect(name).toBe('RangeError');
  expect(message).toMatch(/^String\.prototype\.localeCompare: these strings are too much work to collate in one call \(ICU collates deaf to the time limit; at most 32000000 units/);
}, 30_000);

it('the text scripts collate is not refused, and compares as before', async () => {
  expect(await value(`const out = [];
    const hindi = "नमस्ते दुनिया ".repeat(2e4), hangul = "\\uac00".repeat(1e6), zalgo = ("a" + "\\u0301\\u0316".repeat(16)).repeat(40);
    out.push(("a" + hindi).localeCompare("A" + hindi, "hi"), new Intl.Collator("ko", { sensitivity: "base" }).compare(hangul, hangul.slice(0, -1) + "\\0"));
    out.push(zalgo.localeCompare(zalgo + "b"), ("b" + "\\u0308".repeat(33)).localeCompare("a"), "x".repeat(2e6).localeCompare("x".repeat(2e6 - 1) + "y"));
    out.push(["b", "a", "\\u00e4"].sort(new Intl.Collator("de").compare).join(""), "a".localeCompare("A", "en", { sensitivity: "base" }));
    out`)).toEqual([-1, 1, -1, 1, -1, 'aäb', 0]);
}, 30_000);
