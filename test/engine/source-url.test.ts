// A `//# sourceURL=` comment renames the script's frames in V8: named as the script itself, the wrapped
// script's line offset was lost (an error on line 2 said line 3); named otherwise, every frame of the
// script was dropped from its error (line and column 0). Such comments are now plain comments.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it.each([
  ['//# sourceURL=app.js\nthrow new Error("s")', 2, 7],
  ['//# sourceURL=webpack://bundle/app.js\nthrow new Error("s")', 2, 7],
  ['//@ sourceURL=other.js\n  throw new Error("s")', 2, 9],
  ['var x = 1 //# sourceURL=other.js\nfunction f() { throw new Error("s") }\nf()', 2, 22],
  ['export default () => { throw new Error("s") }\n//# sourceURL=other.js', 1, 30],
  ['//# sourceURL=other.js\nvar f = 1; function f(){}\nthrow new Error("s")', 3, 7],
  // V8 takes any white space but a line break after the mark.
  ['//#\vsourceURL=app.js\nthrow new Error("s")', 2, 7],
  ['//#\u00a0sourceURL=other.js\nthrow new Error("s")', 2, 7],
  ['export default () => { throw new Error("s") }\n//@\ufeff\fsourceURL=other.js', 1, 30],
])('an error keeps its place and the script\'s name: %j', async (source, line, column) => {
  const r = await run(engine, source, { filename: 'app.js' });
  expect(r.error?.message, JSON.stringify(r.error)).toBe('s');
  expect([r.error?.line, r.error?.column]).toEqual([line, column]);
  expect(r.error?.stack).toContain(`app.js:${line}:${column}`);
});

it('a sourceURL inside a string is left as it is', async () => {
  const r = await run(engine, 'const s = "//# sourceURL=x.js";\n`\n//@ sourceURL=y.js`.length + s.length', { filename: 'app.js' });
  expect(r.returnValue, JSON.stringify(r.error)).toBe(19 + 18);
});
