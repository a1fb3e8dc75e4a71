// Intl.NumberFormat's format (the bound function its getter answers), formatToParts, formatRange and
// formatRangeToParts read a BigInt or a decimal string exactly: a 2^26-bit BigInt in scientific
// notation ran 10 s deaf to the time limit and the worker died (SIGSEGV), past the bound that
// BigInt's own toString/toLocaleString keep. They now refuse what those refuse.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { BIGINT_MAX_BITS, BIGINT_MAX_CHARS } from '../../src/engine/prelude.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)));
const NF = 'new Intl.NumberFormat("en", { notation: "scientific" })';

for (const call of ['nf.format(x)', 'nf.formatToParts(x).length', 'nf.formatRange(1n, x)', 'nf.formatRangeToParts(x, x).length',
  'nf.format({ valueOf() { return x; } })', '[1].map(nf.format)[0] + nf.format(x)', 'nf.format("1" + "0".repeat(5e6))']) {
  it(`refuses at once: ${call} of a 2^26-bit BigInt; a parked neighbour is unharmed`, async () => {
    // Refused at once (ms): 1.5 s parked outlasts it, however loaded the machine.
    const neighbours = [parkedNeighbour(engine, 1500), parkedNeighbour(engine, 1500)];
    await new Promise((r) => setTimeout(r, 300));
    const restarts = engine.stats().workerRestarts;
    // A 20 s wall: the refusal, not the time limit, must stop it, however loaded the machine.
    const r = await run(engine, `const x = 2n ** (2n ** 26n), nf = ${NF};\n${call}`, { limits: { wallTimeoutMs: 20_000 } as never });
    expect(r.error?.name, JSON.stringify(r.error ?? r.returnValue)).toBe('RangeError');
    expect(r.error?.message).toMatch(/^a (BigInt of more than \d+ bits is too large to convert to text|string of more than \d+ characters is too long to read as a number to format) in a script$/);
    expect(r.error?.stack).toMatch(/script\.js:2:/);
    expect(engine.stats().workerRestarts).toBe(restarts); // refused, not stopped by replacing the worker
    for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
    await expectHealthy(engine);
  }, 30_000);
}

it('formats as the builtins up to the bounds, errors and shape included', async () => {
  const source = `(() => { const out = [], t = (f) => { try { out.push(f()); } catch (e) { out.push(e.name + ': ' + e.message); } };
    const nf = ${NF}, de = new Intl.NumberFormat("de"), big = (1n << ${BIGINT_MAX_BITS}n) - 1n, seen = [];
    const obj = { valueOf() { seen.push("valueOf"); return 12345678901234567890n; } };
    t(() => nf.format(big)); t(() => nf.formatToParts(-big).length); t(() => nf.formatRange(big, big));
    t(() => nf.format("9".repeat(${BIGINT_MAX_CHARS}))); t(() => de.format("1234.5678901234567890123")); t(() => de.format(obj));
    t(() => de.formatToParts(12n)); t(() => de.formatRange(1, obj)); t(() => de.formatRangeToParts("1", 2n)); t(() => de.format());
    t(() => de.format({ [Symbol.toPrimitive]: 1 })); t(() => de.format({ [Symbol.toPrimitive]() { return {}; } })); t(() => de.format(Symbol()));
    t(() => de.formatRange(undefined, obj)); t(() => de.formatRange(1)); t(() => Intl.NumberFormat.prototype.formatToParts.call({}, obj));
    t(() => Intl.NumberFormat.prototype.formatRange.call(1, 1, obj)); t(() => Reflect.getOwnPropertyDescriptor(Intl.NumberFormat.prototype, "format").get.call({}));
    t(() => [de.format === de.format, de.format.name, de.format.length, "prototype" in de.format, typeof de.format.bind]);
    const p = Intl.NumberFormat.prototype, d = Object.getOwnPropertyDescriptor(p, "format");
    t(() => [d.get.name, d.get.length, d.set, d.enumerable, d.configurable]);
    for (const m of ["formatToParts", "formatRange", "formatRangeToParts"]) t(() => [p[m].name, p[m].length, "prototype" in p[m], Object.getOwnPropertyDescriptor(p, m).enumerable]);
    t(() => seen.length); t(() => { try { new de.format(1); } catch (e) { return e.name; } });
    return out; })()`;
  expect(await value(source)).toEqual(native(source));
  await expectHealthy(engine);
});
