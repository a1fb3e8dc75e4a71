// A module starting with a hashbang kept the module path, where a top-level throw crosses isolated-vm
// alive: a spinning message getter held the worker past its time limit until it was replaced. The
// hashbang is now a comment of the same length and the module is run as a wrapped script.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { moduleAsScript } from '../../src/engine/module-script.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine(); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

describe('a module with a hashbang', () => {
  it('is run as a wrapped script, positions kept', async () => {
    const source = '#!/usr/bin/env node\nconst a = 2;\nexport default () => a * 21;';
    expect(moduleAsScript(source)).toBeDefined();
    expect((await run(engine, source)).returnValue).toBe(42);
    const r = await run(engine, '#!/usr/bin/env node\nconst a = 1;\n  throw new RangeError("bad " + a);\nexport default () => 1;');
    expect(r.error).toMatchObject({ kind: 'script_threw', name: 'RangeError', message: 'bad 1', line: 3, column: 9 });
  });

  it('a top-level throw with a spinning message getter stops at the time limit, the worker kept', async () => {
    const r = await run(engine, '#!x\nconst e = new Error("x"); Object.defineProperty(e, "message", { get() { for (;;); } }); throw e;\nexport default () => 1;', { limits: { wallTimeoutMs: 1000 } as never });
    expect(r.error?.kind).toBe('timeout');
    expect(engine.stats().workerRestarts).toBe(0); // the isolate's time limit stopped it, not the supervisor
  }, 20_000);
});
