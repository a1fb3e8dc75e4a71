// An Intl constructor hands its numberingSystem, calendar and collation options to ICU inside a locale,
// which reads them in time growing with the square of their subtags, deaf to the time limit:
// new Intl.NumberFormat("en", { numberingSystem: "latn-".repeat(3e5) }) held a worker until it was
// replaced. The prelude lets V8 read the options through a Proxy that refuses such a value past
// EXTENSION_OPTION_MAX_CHARS, however it is reached (a getter, toString, Object.prototype, a primitive's prototype).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);

it('a huge numberingSystem, calendar or collation is refused at once, by every way it reaches ICU', async () => {
  const neighbour = parkedNeighbour(engine);
  await new Promise((r) => setTimeout(r, 300));
  const refusals = await value(`const big = "latn-".repeat(3e5) + "latn", out = [];
    for (const f of [() => new Intl.NumberFormat("en", { numberingSystem: big }), () => Intl.DateTimeFormat("en", { calendar: big }),
      () => new Intl.Collator("en", { collation: big }), () => new Intl.RelativeTimeFormat("en", { numberingSystem: { toString: () => big } }),
      () => new Intl.DurationFormat("en", { get numberingSystem() { return big; } }), () => (5).toLocaleString("en", { numberingSystem: big }),
      () => new Date(0).toLocaleString("en", { calendar: big }), () => "a".localeCompare("b", "en", { collation: big }),
      () => { Object.prototype.numberingSystem = big; try { return new Intl.NumberFormat("en", {}); } finally { delete Object.prototype.numberingSystem; } },
      () => { String.prototype.calendar = big; try { return new Intl.DateTimeFormat("en", "x"); } finally { delete String.prototype.calendar; } }]) {
      try { f(); out.push("ran"); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    out`) as string[];
  expect(refusals).toHaveLength(10);
  for (const r of refusals) expect(r).toMatch(/^RangeError: options\.(numberingSystem|calendar|collation) of 1500004 characters \(at most 128: /);
  expect((await neighbour).returnValue).toBe('neighbour ok');
  await expectHealthy(engine);
}, 30_000);

it('the options scripts use behave as the builtins, errors included', async () => {
  expect(await value(`const out = [];
    for (const f of [() => new Intl.NumberFormat("en", { numberingSystem: "arab" }).format(12),
      () => new Intl.DateTimeFormat("en", { calendar: "islamic-umalqura", timeZone: "UTC" }).resolvedOptions().calendar,
      () => new Intl.Collator("de", { collation: "phonebk" }).resolvedOptions().collation, () => (12).toLocaleString("en", { numberingSystem: "thai" }),
      () => new Intl.NumberFormat("en", "x").resolvedOptions().numberingSystem, () => new Intl.Segmenter("en", "x"),
      () => new Intl.NumberFormat("en", { numberingSystem: "latn-" }), () => new Intl.NumberFormat("en", { numberingSystem: Symbol() }),
      () => new Intl.PluralRules("en", 5).select(1), () => new Intl.ListFormat("en", null),
      () => ["a".localeCompare("A", "en", { sensitivity: "base" }), "ä".localeCompare("ae", "de", { collation: "phonebk" }), "a".localeCompare("b", "en", 5)],
      () => "a".localeCompare("b", "en", null)]) {
      try { out.push(JSON.stringify(f())); } catch (e) { out.push(e.name + ": " + e.message); }
    }
    out`)).toEqual(['"١٢"', '"islamic-umalqura"', '"phonebk"', '"๑๒"', '"latn"', 'TypeError: invalid_argument', 'RangeError: Invalid numberingSystem : latn-',
    'TypeError: Cannot convert a Symbol value to a string', '"one"', 'TypeError: invalid_argument', '[0,1,-1]',
    'TypeError: String.prototype.localeCompare called on null or undefined']);
}, 30_000);
