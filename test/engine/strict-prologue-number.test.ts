// A "use strict" directive followed on the next line by a number such as `.5` was taken as continued
// (`.` was read as a member access), so the wrapped script ran sloppy where V8 alone runs it strict.
// node:vm is the oracle.
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it.each([
  '"use strict"\n.5\nfoo = 1; foo', '"use strict"\n.5\n;(function () { return this === undefined })()',
  "'use strict'\n/* c */ .25e1;\n(function () { return this === undefined })()", '"use strict"\n.length\n;(function () { return this === undefined })()',
  '"a"\n.5\n"use strict"\n;(function () { return this === undefined })()',
])('runs as strict as V8 alone: %j', async (source) => {
  let expected: unknown;
  try { expected = runInNewContext(source); } catch (e) { expected = (e as Error).name; }
  const r = await run(engine, source);
  expect(r.error ? r.error.name : r.returnValue, JSON.stringify(r.error)).toBe(expected);
});
