// queueMicrotask refuses a callback that is no function at once, as the standard says: the run used to
// fail later with "fn is not a function", with no frame or line of the script.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it('throws a TypeError synchronously for a callback that is no function', async () => {
  const r = await run(engine, `const out = [];
    for (const v of [5, undefined, null, {}, 'f']) { try { queueMicrotask(v); out.push('queued'); } catch (e) { out.push(e.name); } }
    export default async function main() { let ran = 0; queueMicrotask(() => { ran++; }); await null; out.push(ran); return out; }`);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  expect(r.returnValue).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 1]);
});

it('an uncaught refusal points at the script\'s line', async () => {
  const r = await run(engine, 'const x = 1;\nqueueMicrotask(5);');
  expect(r.error?.name).toBe('TypeError');
  expect(r.error?.message).toMatch(/queueMicrotask/);
  expect(r.error?.line).toBe(2);
});
