// Inside the wrapper's try block V8 runs a sloppy function declaration (Annex B) as an assignment whose
// value becomes the script's completion value: a script ending with a helper function returned that
// function (INVALID_RETURN_VALUE), and `7; function g(){}` gave g, where a bare run gives 7. Such a
// script now runs bare; the value is V8's own (node:vm is the oracle).
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const CASES = [
  'const total = sum([1, 2, 3]);\ntotal\nfunction sum(xs) { return xs.reduce((a, b) => a + b, 0) }',
  'console.log("hi")\nfunction helper() { return 1 }', '7; function g(){}', 'function g(){}', '7;\n/* helper */ function g(){}',
  '7; l: m: function g(){}', '7\n// helpers\nfunction g(){}\nfunction h(){}\nvar x = 1', 'var x = 5; x; function f(){}; let y',
  '1; { function g(){} }', 'function g(){ return 3 }\ng()', '7; async function g(){}', '7; function* g(){}', 'l: 8; function g(){}',
  "'use strict'; 7; function g(){}", '#!/usr/bin/env node\n7; function g(){}', '7; if (true) function g(){}', '"a"\n7; function g() {} g = 9; g',
];

it.each(CASES)('its value is a bare run\'s: %j', async (source) => {
  const expected = runInNewContext(source, { console: { log() {} } });
  const r = await run(engine, source);
  // A function is no return value: V8 itself gives one for a function declaration in a nested block.
  if (typeof expected === 'function') expect(r.error?.kind).toBe('invalid_return_value');
  else {
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.returnValue).toEqual(expected);
  }
});

it('errors keep their positions', async () => {
  const r = await run(engine, '7\n  missing\nfunction f(){}');
  expect(r.error?.name).toBe('ReferenceError');
  expect([r.error?.line, r.error?.column]).toEqual([2, 3]);
});
