// A limit's outcome carries the end of each stream, past the output cap too (output-tail.ts).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it('a character the cap splits in a line past it stays whole in the tail', async () => {
  // The prelude hands the host 17 characters (cap + 1), ending on the emoji's first half, and the rest apart.
  const r = await run(engine, `console.log("a".repeat(16) + "😀b"); while (true) {}`, { limits: { maxOutputBytes: 16, wallTimeoutMs: 500 } as never });
  expect(r.error?.kind).toBe('timeout');
  expect(r.stdout).toBe(`${'a'.repeat(16)}\n…[truncated 6 bytes]`);
  expect(r.outputTail?.stdout).toEqual({ text: `${'a'.repeat(16)}😀b\n`, bytes: 22, cut: false });
}, 30_000);
