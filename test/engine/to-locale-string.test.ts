// toLocaleString with locales/options made an ICU formatter per call, uncounted by the memory limit;
// Array's and the typed arrays' one made one per element, deaf to the time limit. The prelude makes
// one per locales/options (charged) and walks arrays in a loop the time limit reaches.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);
/** The source's value here, with Node's own builtins (the same V8 and ICU as the workers'). */
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)));

// Each ran deaf to the time limit (6-75 s in a bare isolate, the dispose ignored): the worker
// was replaced at the wall deadline, and the executions parked in it failed WORKER_CRASHED.
for (const source of [
  'Array(1e6).fill(new Date(0)).toLocaleString("en", { timeZone: "UTC", dateStyle: "full" }).length',
  'Array(1e6).fill(1.5).toLocaleString("de", { style: "currency", currency: "EUR" }).length',
  'new Float64Array(1e6).fill(1.5).toLocaleString("de", { style: "currency", currency: "EUR" }).length',
  'new Uint8Array(3e7).toLocaleString().length',
]) {
  it(`stops within its limits: ${source.slice(0, 60)}; a parked neighbour is unharmed`, async () => {
    const neighbours = [parkedNeighbour(engine), parkedNeighbour(engine)];
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    const r = await run(engine, source);
    // Either the loop is done within the limits, or it stops at one.
    if (r.error) expect(['timeout', 'memory_limit'], JSON.stringify(r.error)).toContain(r.error.kind);
    // Deaf to termination, it held the worker until the supervisor's kill; bounded here only
    // loosely (a loaded machine), the neighbours below are the assertion.
    expect(performance.now() - t0).toBeLessThan(9000);
    for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
    await expectHealthy(engine);
  }, 30_000);
}

// A loop of them grew a worker by 88 MiB in 4 s, nothing kept. Options that give no key (an object
// value) make a formatter per call: each is charged, and the memory limit stops the loop.
it('formatters made per call count toward the memory limit', async () => {
  for (const call of ['new Date(i).toLocaleString("en", o)', '(i + 0.5).toLocaleString("en", o)', 'new Date(i).toLocaleTimeString(["en", "de"], { timeZone: "UTC", hour: { toString() { return "numeric"; } } })']) {
    const r = await run(engine, `const tz = { toString() { return "UTC"; } }, o = { timeZone: tz, maximumFractionDigits: { valueOf() { return 2; } } };
      let n = 0; for (let i = 0; i < 2e6; i++) n += ${call}.length; n`, { limits: { wallTimeoutMs: 30_000 } as never });
    // The memory limit, not the clock, ends it: the wall limit is far off even on a loaded machine.
    expect(r.error?.kind, call + ': ' + JSON.stringify(r.error)).toBe('memory_limit');
  }
  expect(await value(`const o = { timeZone: { toString() { return "UTC"; } } };
    let n = 0, msg; try { for (;;) n += new Date(n).toLocaleString("en", o).length; } catch (e) { msg = e.name + ": " + e.message; }
    msg`)).toMatch(/^RangeError: the formatter Date\.prototype\.toLocaleString makes for these locales\/options exceeds the memory limit.*reuse one$/);
  await expectHealthy(engine);
}, 120_000);

it('the same locales/options reuse one formatter: a loop within budget is not refused', async () => {
  expect(await value(`const d = new Date(0), o = { timeZone: "UTC", dateStyle: "medium" }, nf = { style: "percent" };
    let n = 0;
    for (let i = 0; i < 20000; i++) n += d.toLocaleString("en", o).length > 0;
    for (let i = 0; i < 20000; i++) n += d.toLocaleDateString(["de", "en"], { timeZone: "UTC" }).length > 0;
    for (let i = 0; i < 20000; i++) n += (0.5).toLocaleString("en", { style: "percent" }).length > 0;
    for (let i = 0; i < 2000; i++) n += [d, 1, 2n].toLocaleString("fr", { timeZone: "UTC", maximumFractionDigits: i % 5 }).length > 0;
    n`)).toBe(62000);
});

const DATE = 'new Date(Date.UTC(2024, 2, 5, 14, 7, 9, 45))';
const tryAll = (calls: string[]) => `(() => { const d = ${DATE}, out = [];
  for (const f of [${calls.map((c) => `() => ${c}`).join(', ')}]) { try { out.push(f()); } catch (e) { out.push(e.name + ': ' + e.message); } }
  return out; })()`;

it('Array and typed array toLocaleString answer as the builtins: numbers, dates, mixed, holes, null, nested, cycles', async () => {
  const args = ['', '"de"', '"en", { timeZone: "UTC" }', '"de", { style: "currency", currency: "EUR" }', 'undefined, { timeZone: "Asia/Tokyo", dateStyle: "full" }',
    '["fr", "en"], { maximumFractionDigits: 1, timeZone: "UTC" }', '"ja-JP-u-ca-japanese", { timeZone: "UTC", month: "long" }', 'new Intl.Locale("ar"), { timeZone: "UTC" }'];
  const lists = ['[1234.5, -0, NaN, 1e21, 12n, -9007199254740993n]', '[d, new Date(NaN), d]', `[1234.5, d, null, undefined, , 'str', true, [1.5, [d, 2e6]], new Number(3.25), Object(5n), { toLocaleString(l, o) { return typeof l + typeof o + arguments.length; } }]`,
    '(() => { const a = [1, d]; a.push(a, [a]); return a; })()', 'new Float64Array([1.5, -2, NaN])', 'new BigInt64Array([1n, -5n])', 'new Uint8Array(0)', 'new Array(5)',
    '{ length: 3, 0: 1, 2: d }', '"ab"'];
  const calls: string[] = [];
  for (const l of lists) for (const a of args) calls.push(l.startsWith('{') || l.startsWith('"') ? `Array.prototype.toLocaleString.call(${l}${a ? ', ' + a : ''})` : `${l}.toLocaleString(${a})`);
  const source = tryAll(calls);
  const got = await value(source) as string[];
  expect(got).toEqual(native(source));
  expect(got).toContain('1,234.5,-0,NaN,1,000,000,000,000,000,000,000,12,-9,007,199,254,740,993');
});

it('errors are the builtins\': bad locales or options, no callable toLocaleString, a Symbol, a wrong receiver', async () => {
  const source = tryAll(['[1, d].toLocaleString("xx-invalid-!!")', '[d, 1].toLocaleString("en", { timeZone: "Nowhere" })', '[1].toLocaleString("en", null)',
    '[new Date(NaN)].toLocaleString("en", null)', '[{ toLocaleString: 5 }].toLocaleString()', '[Object.create(null)].toLocaleString()',
    '[{ toLocaleString() { return Symbol(); } }].toLocaleString()', '[{ toLocaleString() { return { toString() { return "T"; }, valueOf() { return "V"; } }; } }].toLocaleString()',
    'Array.prototype.toLocaleString.call(null)', 'Uint8Array.prototype.toLocaleString.call([1])',
    '(() => { const b = new ArrayBuffer(8), t = new Uint8Array(b); b.transfer(); return t.toLocaleString(); })()', '[1, 2].toLocaleString("de", { style: "currency" })',
    '[d].toLocaleString("de", { year: "bogus" })', 'd.toLocaleDateString("en", { timeStyle: "short" })', 'd.toLocaleTimeString("en", { dateStyle: "short" })',
    'Date.prototype.toLocaleString.call({}, "en", {})', 'Number.prototype.toLocaleString.call("5", "en", {})', '(5).toLocaleString("en", { maximumFractionDigits: 200 })',
    'd.toLocaleString("en", { dateStyle: "short", hour: "numeric" })', 'new Date(NaN).toLocaleTimeString("xx-invalid-!!", { timeZone: "Nowhere" })']);
  expect(await value(source)).toEqual(native(source));
});

it('Date, Number and BigInt toLocale…String answer as the builtins, for every kind of option', async () => {
  const opts = ['undefined', '{}', '{ timeZone: "UTC", hour: "numeric" }', '{ timeZone: "UTC", weekday: "long", era: "short" }', '{ timeZone: "UTC", dayPeriod: "short" }',
    '{ timeZone: "UTC", fractionalSecondDigits: 2, hour12: false }', '{ timeZone: "UTC", timeZoneName: "short", calendar: "japanese", month: "long" }',
    '{ timeZone: "UTC", timeStyle: "medium", numberingSystem: "arab" }', '"x"', 'Object.create({ timeZone: "UTC", month: "short" })',
    '{ timeZone: { toString() { return "UTC"; } }, second: "numeric" }', '{ style: "unit", unit: "kilometer-per-hour", unitDisplay: "long" }',
    '{ notation: "compact", signDisplay: "always" }', '{ roundingIncrement: 5, maximumFractionDigits: 2, useGrouping: false }', '{ minimumSignificantDigits: 3 }'];
  const calls: string[] = [];
  for (const l of ['undefined', '"de"', '["ja", "en"]']) for (const o of opts) {
    for (const m of ['toLocaleString', 'toLocaleDateString', 'toLocaleTimeString']) calls.push(`d.${m}(${l}, ${o})`);
    for (const x of ['1234567.891', '-0', '12345678901234567890n']) calls.push(`(${x}).toLocaleString(${l}, ${o})`);
  }
  const source = tryAll(calls);
  expect(await value(source)).toEqual(native(source));
});

// The options are read once per formatter, as the constructor reads them: the same names, in its order.
it('reads the options the builtin reads, in its order', async () => {
  const source = `(() => { const out = [];
    const rec = (keys) => new Proxy({}, { get(t, k) { keys.push(String(k)); return undefined; } });
    for (const f of [(o) => new Date(0).toLocaleString("en", o), (o) => (1).toLocaleString("en", o)]) { const keys = []; f(rec(keys)); out.push(keys); }
    return out; })()`;
  const got = await value(source) as string[][];
  expect(got).toEqual(native(source));
  expect(got[0]).toContain('timeStyle');
  expect(got[1]).toContain('signDisplay');
});

it('the methods keep their shape', async () => {
  expect(await value(`[Array.prototype.toLocaleString, Object.getPrototypeOf(Int8Array.prototype).toLocaleString, Date.prototype.toLocaleString,
    Date.prototype.toLocaleDateString, Date.prototype.toLocaleTimeString, Number.prototype.toLocaleString, BigInt.prototype.toLocaleString]
    .map((f) => f.name + f.length).concat(Object.getOwnPropertyDescriptor(Date.prototype, 'toLocaleString').enumerable,
      Object.getOwnPropertyDescriptor(Number.prototype, 'toLocaleString').writable)`))
    .toEqual(['toLocaleString0', 'toLocaleString0', 'toLocaleString0', 'toLocaleDateString0', 'toLocaleTimeString0', 'toLocaleString0', 'toLocaleString0', false, true]);
});
