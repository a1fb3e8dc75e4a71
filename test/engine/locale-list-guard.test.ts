// V8 canonicalises a locales list in ICU, each tag checked against those before it, and walks an
// array-like's holes in C++, all deaf to the time limit: Intl.getCanonicalLocales of 3e4 distinct tags
// held a worker 3.9 s, of { length: 1e8 } 6 s and 870 MiB. The prelude reads a list as V8 would and
// hands it a copy, refusing one past LOCALE_LIST_MAX tags or LOCALE_LIST_MAX_CHARS characters.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);

it('every function taking a locales list refuses a huge one at once; a parked neighbour is untouched', async () => {
  const neighbour = parkedNeighbour(engine);
  await new Promise((r) => setTimeout(r, 300));
  const refusals = await value(`const many = Array.from({ length: 3e4 }, (_, i) => "en-x-" + i), long = Array(200).fill("en-x-" + "abcdefgh-".repeat(100) + "a");
    const out = [];
    for (const f of [() => Intl.getCanonicalLocales(many), () => Intl.getCanonicalLocales({ length: 1e8 }), () => "a".localeCompare("b", many),
      () => new Intl.NumberFormat(Array(257).fill("de")), () => Intl.Collator(many), () => Intl.Collator.supportedLocalesOf({ length: 2 ** 53 - 1 }),
      () => (1234.5).toLocaleString({ length: 1e9 }), () => new Date(0).toLocaleTimeString(many), () => "i".toLocaleUpperCase(many), () => new Intl.ListFormat(long)]) {
      try { f(); out.push("ran"); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    out`) as string[];
  expect(refusals).toHaveLength(10);
  for (const r of refusals) expect(r).toMatch(/^RangeError: locales: (a list of length \d+|tags of over 65536 characters) \(at most 256 tags of 65536 characters in all/);
  expect((await neighbour).returnValue).toBe('neighbour ok');
  await expectHealthy(engine);
}, 30_000);

it('lists within the bounds behave as the builtins: tags, Locale objects, read order, errors', async () => {
  expect(await value(`[Intl.getCanonicalLocales(["EN-us", new Intl.Locale("de-DE"), { toString: () => "fr" }, "en-US"]), Intl.getCanonicalLocales("ja"),
    Intl.getCanonicalLocales(), new Intl.NumberFormat(["de-DE", "en"]).format(1234.5), "a".localeCompare("b", ["de"]), "i".toLocaleUpperCase(["tr"]),
    (1234.5).toLocaleString(["de"]), new Date(0).toLocaleDateString(["de"], { timeZone: "UTC" }), Intl.DateTimeFormat.supportedLocalesOf(["de", "zz"]),
    new Intl.ListFormat(["en"]).format(["a", "b"]), Intl.ListFormat.name, Intl.ListFormat.length, Intl.getCanonicalLocales.length,
    Intl.Collator.supportedLocalesOf.name, new Intl.Segmenter(new Intl.Locale("th")).resolvedOptions().locale,
    Intl.getCanonicalLocales(Array.from({ length: 256 }, (_, i) => "en-x-" + i)).length]`))
    .toEqual([['en-US', 'de-DE', 'fr'], ['ja'], [], '1.234,5', -1, 'İ', '1.234,5', '1.1.1970', ['de'], 'a and b', 'ListFormat', 0, 1, 'supportedLocalesOf', 'th', 256]);
  expect(await value(`const log = [];
    const p = new Proxy({ length: 3, 0: "de", 2: { toString() { log.push("toString"); return "fr"; } } },
      { get(t, k) { log.push("get " + String(k)); return t[k]; }, has(t, k) { log.push("has " + String(k)); return k in t; } });
    const out = [Intl.getCanonicalLocales(p), log];
    for (const f of [() => Intl.getCanonicalLocales([1]), () => Intl.getCanonicalLocales(["en", null]), () => Intl.getCanonicalLocales(["not a tag"]),
      () => new Intl.Collator([Symbol()]), () => "a".localeCompare("b", 5), () => Intl.getCanonicalLocales(null)]) {
      try { out.push(JSON.stringify(f())); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    out`)).toEqual([['de', 'fr'], ['get length', 'has 0', 'get 0', 'has 1', 'has 2', 'get 2', 'toString'],
    'TypeError: Language ID should be string or object.', 'TypeError: Language ID should be string or object.',
    'RangeError: Incorrect locale information provided', 'TypeError: Language ID should be string or object.', '-1',
    'TypeError: Cannot convert undefined or null to object']);
}, 30_000);

it('a function is a list like any other object: refused past the bounds, read as V8 reads it within them', async () => {
  // V8 reads a function's length (definable at will) and walks its holes in C++ as for { length }.
  const refusals = await value(`const huge = Object.defineProperty(function () {}, "length", { value: 1e8 }), out = [];
    for (const f of [() => Intl.getCanonicalLocales(huge), () => "a".localeCompare("b", huge), () => "i".toLocaleUpperCase(huge),
      () => "I".toLocaleLowerCase(huge), () => new Intl.NumberFormat(huge), () => (1).toLocaleString(huge)]) {
      try { f(); out.push("ran"); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    out`) as string[];
  expect(refusals).toHaveLength(6);
  for (const r of refusals) expect(r).toMatch(/^RangeError: locales: a list of length 100000000 \(at most 256 tags/);
  expect(await value(`const list = Object.defineProperty(function () {}, "length", { value: 2 });
    list[0] = "DE"; list[1] = Object.assign(function () {}, { toString: () => "fr" });
    [Intl.getCanonicalLocales(list), Intl.getCanonicalLocales(function () {}), "i".toLocaleUpperCase(Object.assign(function () {}, { 0: "tr" }))]`))
    .toEqual([['de', 'fr'], [], 'I']);
  await expectHealthy(engine);
}, 60_000);
