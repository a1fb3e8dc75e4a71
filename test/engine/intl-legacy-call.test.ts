// DateTimeFormat and NumberFormat called without new on an instance (V8's legacy path) make the ICU object,
// then define it on that object: a Proxy's defineProperty trap was handed the object, threw, and the prelude
// gave the charge back, though the object lived on in the script's hands (20,000 kept formatters at 50 MiB,
// the worker's RSS at 608 MB). The charge is now kept once the object is made; the legacy path works as in Node.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { MiB, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);

it('formatters kept by a hostile this\'s defineProperty trap are refused at about the count new makes', async () => {
  expect(await value(`const kept = [], DTF = Intl.DateTimeFormat; let refused = 0, other = 0;
    const p = new Proxy(Object.create(DTF.prototype), { defineProperty(t, k, d) { kept.push(d.value); throw new Error('no'); } });
    for (let i = 0; i < 20000; i++) try { DTF.call(p, 'en', { dateStyle: 'full', timeStyle: 'full' }); } catch (e) {
      if (e instanceof RangeError && /^Intl\\.DateTimeFormat exceeds the memory limit/.test(e.message)) refused++; else other++;
    }
    [kept.length > 1000 && kept.length < 2000, kept.length === other, refused === 20000 - other, kept[0].format(0).length > 0]`))
    .toEqual([true, true, true, true]);
}, 30_000);

it('a throw after the object is made (a getPrototypeOf trap, a this not extensible) keeps the charge too', async () => {
  expect(await value(`const DTF = Intl.DateTimeFormat; let threw = 0, refused = 0;
    const p = new Proxy(Object.create(DTF.prototype), { getPrototypeOf() { throw 1; } });
    for (let i = 0; i < 20000; i++) try { DTF.call(p, 'en'); } catch (e) { if (e === 1) threw++; else if (e instanceof RangeError) refused++; }
    [threw > 1000 && threw < 2000, refused === 20000 - threw]`)).toEqual([true, true]);
  expect(await value(`let threw = 0, refused = 0;
    for (let i = 0; i < 20000; i++) try { Intl.DateTimeFormat.call(Object.preventExtensions(Object.create(Intl.DateTimeFormat.prototype))); }
    catch (e) { if (e instanceof TypeError) threw++; else if (e instanceof RangeError) refused++; }
    [threw > 1000 && threw < 2000, refused === 20000 - threw]`)).toEqual([true, true]);
}, 30_000);

it('the legacy path behaves as in Node.js', async () => {
  expect(await value(`const D = Intl.DateTimeFormat, N = Intl.NumberFormat, C = Intl.Collator, out = [];
    const d = Object.create(D.prototype), dr = D.call(d, 'en', { timeZone: 'UTC' }), sym = Object.getOwnPropertySymbols(d);
    const desc = Object.getOwnPropertyDescriptor(d, sym[0]);
    out.push(dr === d, sym.length, String(sym[0]), desc.value instanceof D, desc.writable, desc.enumerable, desc.configurable,
      d.format(0), d.resolvedOptions().timeZone);
    const n = Object.create(N.prototype);
    out.push(N.call(n, 'en') === n, n.format(1234.5), Object.getOwnPropertySymbols(n)[0] === sym[0]);
    const c = Object.create(C.prototype);
    out.push(C.call(c) === c, C.call(c) instanceof C);
    out.push(D() instanceof D, Intl.DateTimeFormat('en').format(0), D.call(5) instanceof D, D.call({}) instanceof D, N.call(null) instanceof N);
    try { D.call(Object.preventExtensions(Object.create(D.prototype))); } catch (e) { out.push(e.name + ': ' + e.message); }
    const seen = [];
    const p = new Proxy(Object.create(D.prototype), { defineProperty(t, k, dd) { seen.push(Object.keys(dd).join(), Object.getPrototypeOf(dd) === Object.prototype); return false; } });
    try { D.call(p); } catch (e) { out.push(e.name + ': ' + e.message); }
    out.push(...seen);
    const log = [];
    const q = new Proxy(Object.create(D.prototype), { getPrototypeOf(t) { log.push('proto'); return Reflect.getPrototypeOf(t); },
      defineProperty(t, k, dd) { log.push('define'); return Reflect.defineProperty(t, k, dd); } });
    out.push(D.call(q, 'en', { get timeZone() { log.push('options'); return 'UTC'; } }) === q, log.join());
    try { D.call(d, 'en', { timeZone: 'Nowhere/Never' }); } catch (e) { out.push(e.name); }
    out`)).toEqual([
    true, 1, 'Symbol(IntlLegacyConstructedSymbol)', true, false, false, false, '1/1/1970', 'UTC',
    true, '1,234.5', true,
    false, true,
    true, '1/1/1970', true, true, true,
    'TypeError: Cannot define property Symbol(IntlLegacyConstructedSymbol), object is not extensible',
    "TypeError: 'defineProperty' on proxy: trap returned falsish for property 'Symbol(IntlLegacyConstructedSymbol)'",
    'value,writable,enumerable,configurable', true,
    true, 'options,proto,define',
    'RangeError',
  ]);
});

it('a call without new that fails before making the object gives its charge back', async () => {
  expect(await value(`let bad = 0;
    for (let i = 0; i < 5000; i++) { try { Intl.DateTimeFormat('en', { timeZone: 'Nowhere/Never' }); } catch (e) { if (e.name === 'RangeError' && /time zone/i.test(e.message)) bad++; } }
    for (let i = 0; i < 5000; i++) { try { Intl.DateTimeFormat.call(Object.create(Intl.DateTimeFormat.prototype), 'en', { timeZone: 'Nowhere/Never' }); } catch (e) { if (e.name === 'RangeError' && /time zone/i.test(e.message)) bad++; } }
    [bad, Intl.DateTimeFormat('en').format(0)]`)).toEqual([10000, '1/1/1970']);
});
