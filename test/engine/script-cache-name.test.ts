// A worker keeps compiled Scripts per isolate; the file name a Script was compiled with is part of
// it (stack traces, error positions). The same source run under another name must show that name,
// never the first caller's, and keep its own frames and line/column.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
// One worker with one isolate: every run below lands where the earlier ones compiled.
beforeAll(async () => { engine = await startEngine({ workers: 1 }); });
afterAll(async () => { await engine.close(); }, 20_000);

describe('the per-isolate Script cache and file names', () => {
  it('a stack trace names the caller\'s own file, not the first caller\'s', async () => {
    const src = '(() => new Error("x").stack)()';
    for (let i = 0; i < 2; i++) expect(await run(engine, src, { filename: 'alice-payroll.js' })).toMatchObject({ success: true });
    const bob = await run(engine, src, { filename: 'bob.js' });
    expect(bob.returnValue).toContain('bob.js:1:8');
    expect(bob.returnValue).not.toContain('alice-payroll');
    // The first name still hits its own entry.
    const alice = await run(engine, src, { filename: 'alice-payroll.js' });
    expect(alice.returnValue).toContain('alice-payroll.js:1:8');
  });

  it('an error keeps its frames and line/column under a second name', async () => {
    const src = 'const a = 1;\nthrow new Error("boom")';
    for (const name of ['first.js', 'first.js', 'second.js', 'second.js']) {
      const r = await run(engine, src, { filename: name });
      expect(r.error?.message).toBe('boom');
      expect([r.error?.line, r.error?.column]).toEqual([2, 7]);
      expect(r.error?.stack).toContain(`${name}:2:7`);
    }
  });

  it('so does a wrapped module script, and a stored (compiled) one', async () => {
    const src = 'const a = 1;\nexport default function main() {\n  throw new Error("mod " + a);\n}';
    const compiled = await engine.compile(src, { filename: 'stored-a.js' });
    for (const name of ['mod-a.js', 'mod-b.js', 'stored-a.js', 'stored-b.js']) {
      const r = await run(engine, src, { filename: name, ...(name.startsWith('stored') ? { cacheKey: compiled.cacheKey } : {}) });
      expect(r.error?.message).toBe('mod 1');
      expect([r.error?.line, r.error?.column]).toEqual([3, 9]);
      expect(r.error?.stack).toContain(`${name}:3:9`);
      expect(new Set(r.error?.stack.match(/\w+-[ab]\.js/g))).toEqual(new Set([name]));
    }
  });
});
