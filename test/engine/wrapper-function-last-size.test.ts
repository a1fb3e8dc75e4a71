// Telling whether a sloppy script's value would change in the wrapper (a top-level function declaration
// last: wrapper-function-last.test.ts) parsed the whole source with acorn, whatever its size: a 1 MiB
// script held the worker's thread up to a second at each compile. Past MAX_WRAPPED_SOURCE, as for a
// module, it is not parsed and stays wrapped, keeping the top-level-throw guard.
import { expect, it } from 'vitest';
import { MAX_WRAPPED_SOURCE } from '../../src/engine/module-script.ts';
import { prepareSource } from '../../src/engine/source.ts';

const wrapped = (code: string) => prepareSource(code, 'javascript', 'expression').wrapped === true;

it('runs a short script ending with a function declaration bare, a long one wrapped', () => {
  const body = '7\nfunction g() {}';
  expect(wrapped(body)).toBe(false);
  expect(wrapped(`// ${'x'.repeat(MAX_WRAPPED_SOURCE - body.length - 4)}\n${body}`)).toBe(false);
  expect(wrapped(`// ${'x'.repeat(MAX_WRAPPED_SOURCE)}\n${body}`)).toBe(true);
  expect(wrapped(`// ${'x'.repeat(MAX_WRAPPED_SOURCE)}\nfunction g() {}\ng()`)).toBe(true);
});
