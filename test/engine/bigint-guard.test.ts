// V8's BigInt library drops the termination request: writing a huge BigInt as text (or reading one
// from a long string) ran past the time limit until the worker was replaced. The prelude refuses
// those conversions with a RangeError; the operators themselves cannot be guarded there.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { BIGINT_MAX_BITS, BIGINT_MAX_CHARS } from '../../src/engine/prelude.ts';
import { expectHealthy, MiB, parkedNeighbour, run, startEngine, valueOf } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const value = (source: string) => valueOf(engine, source);
const native = (source: string): unknown => JSON.parse(JSON.stringify((0, eval)(source)));

// toString of 2^26 bits: 10 s, DEADLINE_EXCEEDED "could not be interrupted", the worker died (SIGSEGV)
// and half the parked neighbours failed WORKER_CRASHED.
for (const source of ['(2n ** (2n ** 26n)).toString().length', '(2n ** (2n ** 25n)).toString(7).length', '(2n ** (2n ** 22n) - 1n).toLocaleString("en").length',
  '[1n, 2n ** (2n ** 23n)].toLocaleString().length', 'new Array(3).fill(2n ** (2n ** 23n)).toLocaleString("de", { useGrouping: false }).length',
  'BigInt("9".repeat(5e6)).toString(16).length', 'BigInt({ valueOf() { return "7".repeat(3e6); } }) > 0n']) {
  it(`refuses at once: ${source}; a parked neighbour is unharmed`, async () => {
    // Refused at once (ms): 1.5 s parked outlasts it, however loaded the machine.
    const neighbours = [parkedNeighbour(engine, 1500), parkedNeighbour(engine, 1500)];
    await new Promise((r) => setTimeout(r, 300));
    const restarts = engine.stats().workerRestarts;
    // A 20 s wall: the refusal, not the time limit, must stop it, however loaded the machine.
    const r = await run(engine, source, { limits: { wallTimeoutMs: 20_000 } as never });
    expect(r.error?.name, JSON.stringify(r.error ?? r.returnValue)).toBe('RangeError');
    expect(r.error?.message).toMatch(/^a (BigInt of more than \d+ bits is too large to convert to text|string of more than \d+ characters is too long to read as a BigInt) in a script$/);
    expect(r.error?.stack).toMatch(/script\.js:1:/);
    expect(engine.stats().workerRestarts).toBe(restarts); // refused, not stopped by replacing the worker
    for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
    await expectHealthy(engine);
  }, 30_000);
}

it('ordinary BigInt use is unaffected, up to the bounds', async () => {
  const source = `(() => { const out = [], t = (f) => { try { out.push(f()); } catch (e) { out.push(e.name + ': ' + e.message); } };
    const big = (1n << ${BIGINT_MAX_BITS}n) - 1n;
    t(() => big.toString().length); t(() => (-big).toString(36).length); t(() => big.toString(16).length); t(() => [big].toLocaleString().length);
    t(() => BigInt("9".repeat(${BIGINT_MAX_CHARS})) > 0n); t(() => BigInt(" 0x" + "f".repeat(${BIGINT_MAX_CHARS - 3})) > 0n);
    t(() => String(BigInt("123"))); t(() => String(BigInt(" 0x1f "))); t(() => BigInt("1.5")); t(() => String(BigInt(true))); t(() => BigInt(1.5));
    t(() => BigInt(Symbol())); t(() => BigInt()); t(() => new BigInt(1)); t(() => String(BigInt(new Date(5))));
    t(() => String(BigInt({ valueOf() { return "77"; } }))); t(() => String(BigInt({ [Symbol.toPrimitive](h) { return h === "number" ? "5" : "9"; } })));
    t(() => BigInt({ [Symbol.toPrimitive]: 5 })); t(() => BigInt({ [Symbol.toPrimitive]() { return {}; } })); t(() => BigInt(Object.create(null)));
    t(() => (255n).toString(16)); t(() => (-255n).toString(2)); t(() => (5n).toString(1)); t(() => BigInt.prototype.toString.call(5));
    t(() => Object(7n).toString()); t(() => (12345678901234567890n).toLocaleString("de")); t(() => String(BigInt.asUintN(8, 257n)));
    t(() => [typeof BigInt, BigInt.name, BigInt.length, BigInt.prototype.constructor === BigInt, Object(1n) instanceof BigInt, BigInt.prototype.toString.name]);
    return out; })()`;
  const got = await value(source) as unknown[];
  expect(got).toEqual(native(source));
  expect(got[0]).toBe(451545);
});

it('one bit over the bound is refused', async () => {
  expect(await value(`const out = [];
    for (const x of [1n << ${BIGINT_MAX_BITS}n, -(1n << ${BIGINT_MAX_BITS}n), -(1n << ${BIGINT_MAX_BITS}n) - 1n]) { try { out.push(x.toString(32).length); } catch (e) { out.push(e.name); } }
    try { BigInt("1".repeat(${BIGINT_MAX_CHARS + 1})); } catch (e) { out.push(e.name); }
    out`)).toEqual(['RangeError', BIGINT_MAX_BITS / 5 + 2, 'RangeError', 'RangeError']);
});
