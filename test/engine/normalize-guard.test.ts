// String.prototype.normalize on a long string: ICU drops the termination request, so the prelude
// normalises it in pieces cut where no form can carry anything across (normalize-chunks.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { NORMALIZE_BREAKS, NORMALIZE_MAX_RUN } from '../../src/engine/normalize-chunks.ts';
import { expectHealthy, MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1, defaultMemoryBytes: 50 * MiB }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const FORMS = ['NFC', 'NFD', 'NFKC', 'NFKD'] as const;

// A cut before c is exact when the first code point of c's canonical and compatibility decompositions
// has combining class 0 and is the second half of no composition. Checked against this ICU.
it('every break starts with a starter that composes with nothing before it', () => {
  const cp = (s: string) => s.codePointAt(0)!;
  const composedInto = new Set<number>(); // every code point but the first of a composite's decomposition
  for (let u = 0; u <= 0x10ffff; u++) {
    if (u >= 0xd800 && u <= 0xdfff) continue;
    const ch = String.fromCodePoint(u), d = ch.normalize('NFD');
    if (d !== ch && d.normalize('NFC') === ch) for (const x of [...d].slice(1)) composedInto.add(cp(x));
  }
  // Combining class 0: U+0345 (class 240) and U+0334 (class 1) would be reordered around any other.
  const starter = (f: string) => ('\u0345' + f).normalize('NFD') === '\u0345' + f && (f + '\u0334').normalize('NFD') === f + '\u0334';
  const bad: string[] = [];
  let checked = 0;
  for (let k = 0; k < NORMALIZE_BREAKS.length; k += 2) {
    for (let c = NORMALIZE_BREAKS[k]; c <= NORMALIZE_BREAKS[k + 1]; c++) {
      // A high surrogate: the code points it starts, and itself alone.
      const chars = c >= 0xd800 && c <= 0xdbff
        ? [String.fromCharCode(c), ...Array.from({ length: 1024 }, (_, i) => String.fromCharCode(c, 0xdc00 + i))]
        : [String.fromCharCode(c)];
      for (const ch of chars) {
        checked++;
        for (const form of ['NFD', 'NFKD'] as const) {
          const d = ch.normalize(form);
          if (d === '') continue;
          const f = String.fromCodePoint(cp(d));
          if (!starter(f) || composedInto.has(cp(f))) bad.push(`U+${ch.codePointAt(0)!.toString(16)} (${form})`);
        }
      }
    }
  }
  expect(checked).toBeGreaterThan(40_000);
  expect(bad).toEqual([]);
}, 60_000);

// Built the same in Node (the builtin) and in the engine (the guard): mixed strings long enough to be cut.
const corpus = String.raw`(() => {
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 4294967296; };
  const parts = ['a', ' ', 'Z', '.', '\n', '\u00e9', 'e\u0301', '\u0301', '\u0323\u0307', '\u0345', '\u1e69', 'x\u0308\u0301\u0316',
    '\u1100', '\u1161', '\u11a8', '\uac00', '\uac01', '\u0b47', '\u0b3e', '\u0928\u093c', '\u0929', '\u0915', '\ud83d\ude00',
    '\ud83d\udc69\u200d\ud83d\udcbb', '\ud83c', '\udc00', '\ufdfa', '\u3099', '\u304b', '\u304c', '\u00a8', '\u2000', '\uff21',
    '\u03a9', '\u0419', '\ufb01', '\u0f73', '\u0344', '\u6f22', '\u1f100', '\ud83c\udd00', '\u0e33', '\u0622', '\u05d0\u05b8'];
  const hash = (s) => { let h = 2166136261; for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619); return (h >>> 0) + ':' + s.length; };
  const out = [];
  for (let t = 0; t < 24; t++) {
    const target = 9000 + Math.floor(rnd() * 40000), dense = t % 3 === 0;
    let s = '';
    while (s.length < target) s += rnd() < (dense ? 0.03 : 0.3) ? ' ' : parts[Math.floor(rnd() * parts.length)];
    for (const f of ['NFC', 'NFD', 'NFKC', 'NFKD']) out.push(hash(s.normalize(f)));
    out.push(hash(new String(s).normalize()));
  }
  return out;
})()`;

it('normalises long mixed strings exactly as the builtin does, in every form', async () => {
  const expected = (0, eval)(corpus) as string[];
  const r = await run(engine, corpus, { limits: { wallTimeoutMs: 10_000 } as never });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toEqual(expected);
}, 30_000);

it('keeps the builtin\'s answers for short strings and bad arguments, refuses a long stretch it cannot cut', async () => {
  const r = await run(engine, `const out = [], big = 'a'.repeat(${NORMALIZE_MAX_RUN * 2});
    for (const f of [() => big.normalize('nope'), () => big.normalize(Symbol()), () => String.prototype.normalize.call(null),
      () => '\\u0301'.repeat(${NORMALIZE_MAX_RUN * 4}).normalize()]) { try { f(); out.push('ok'); } catch (e) { out.push(e.name); } }
    out.push('e\\u0301'.normalize(), big.normalize('NFKD') === big, String.prototype.normalize.call(12, { toString() { return 'NFD'; } }),
      String.prototype.normalize.name, String.prototype.normalize.length, '\\u0301'.repeat(${NORMALIZE_MAX_RUN}).normalize().length);
    out`);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toEqual(['RangeError', 'TypeError', 'TypeError', 'RangeError', '\u00e9', true, '12', 'normalize', 0, NORMALIZE_MAX_RUN]);
});

// "é" x 1e6 in a loop ran to the wall limit, deaf to the CPU limit; disposing the isolate then crashed
// the worker (SIGSEGV), and executions parked in it failed WORKER_CRASHED.
it('a loop normalising a huge string stops at the CPU limit; a parked neighbour is unharmed', async () => {
  const neighbours = [1, 2].map(() => run(engine, 'new Promise((r) => setTimeout(() => r("neighbour ok"), 4000))', { limits: { wallTimeoutMs: 10_000 } as never }));
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  // A 1 s CPU budget, a tenth of its 10 s wall: the loop reaches it first even on a loaded machine (at a
  // 50 % share it needed more than half a core, which a loaded machine did not give it). Deaf to it, the
  // loop ran to its wall limit, where the worker is replaced.
  const r = await run(engine, 'const s = "\\u00e9".repeat(1e6); for (;;) s.normalize("NFD").length', { limits: { wallTimeoutMs: 10_000, cpuShare: 10 } as never });
  const ms = performance.now() - t0;
  expect(r.error?.kind, JSON.stringify(r.error)).toBe('timeout');
  expect(r.error?.message).toMatch(/CPU time limit/);
  expect(ms).toBeLessThan(10_000); // before its wall limit
  for (const n of await Promise.all(neighbours)) expect(n.returnValue, JSON.stringify(n.error)).toBe('neighbour ok');
  await expectHealthy(engine);
}, 30_000);
