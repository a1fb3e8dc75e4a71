// JSON.parse refuses a long text only when its long keys would cost V8 too many compares: V8 hashes a key over
// 16,383 characters by its length alone and compares it with each earlier key of that length as far as their
// common prefix. Keys of distinct lengths, or alike only in their first characters, parse as V8 parses them;
// keys of one decoded length (an escape is one character) alike to their end are still refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { MiB, run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

/** JSON.parse of a text of n keys made by keyExpr (of i, bs: a backslash): the key count, or the error's name and message's start. */
const parsed = async (keyExpr: string, n: number, raw = false) => {
  const r = await run(engine, `export default function main() {
    const bs = String.fromCharCode(92), parts = [];
    for (let i = 0; i < ${n}; i++) { const k = ${keyExpr}; parts.push(${raw ? "'\"' + k + '\"'" : 'JSON.stringify(k)'} + ':1'); }
    const t = '{' + parts.join(',') + '}';
    if (t.length < 2 ** 21) return 'too short to be looked at';
    try { return Object.keys(JSON.parse(t)).length; } catch (e) { return [e.name, e.message.slice(0, 11)]; }
  }`, { limits: { wallTimeoutMs: 20_000, memoryBytes: 256 * MiB } as never });
  if (r.error) throw new Error(JSON.stringify(r.error));
  return r.returnValue;
};
const refused = ['RangeError', 'JSON.parse:'];

it('parses keys of distinct lengths', async () => {
  expect(await parsed("'a'.repeat(16384 + i)", 200)).toBe(200);
}, 60_000);

it('parses keys of one length that differ in their first characters', async () => {
  expect(await parsed("String(i).padStart(6, '0') + 'a'.repeat(20000)", 300)).toBe(300);
  expect(await parsed("String(i).padStart(6, '0') + 'a'.repeat(16400)", 1200)).toBe(1200);
}, 60_000);

it('parses keys whose raw text is long but decodes under 16,384 characters', async () => {
  expect(await parsed("('ab' + bs + '\"').repeat(5000) + (100000 + i)", 300, true)).toBe(300);
}, 60_000);

it('still refuses keys of one length alike to their end', async () => {
  expect(await parsed("'a'.repeat(19994) + (100000 + i)", 1200)).toEqual(refused);
  // Alike in their first 2,048 characters, differing at once after: V8 compares those for each pair.
  expect(await parsed("'a'.repeat(2048) + (100000 + i) + 'b'.repeat(18000)", 1200)).toEqual(refused);
}, 60_000);

it('refuses keys of one decoded length whatever their escapes', async () => {
  // Raw lengths all differ (key i spells i of its characters as \u0061); decoded they are one length, alike to their end.
  expect(await parsed("(bs + 'u0061').repeat(i) + 'a'.repeat(20000 - i) + (100000 + i)", 1200, true)).toEqual(refused);
  // Their raw first characters differ (i in binary, each bit an a or its escape); decoded they are alike from the start.
  expect(await parsed("Array.from({ length: 11 }, (_, b) => ((i >> b) & 1 ? bs + 'u0061' : 'a')).join('') + 'a'.repeat(19989) + (100000 + i)", 1200, true)).toEqual(refused);
}, 60_000);
