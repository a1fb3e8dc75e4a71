// What a run hands the server is well-formed UTF-16: a lone surrogate a script wrote (output, an
// error's name, message and stack, a string or key of its value) is U+FFFD, as binary protobuf would
// write it, whatever message it then goes into (a result, a migration's report, a tool's error).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { mayHoldLoneSurrogates } from '../../src/engine/well-formed-json.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const FFFD = '\ufffd';

it('a run with lone surrogates in its output and value', async () => {
  const r = await run(engine, [
    'export default async function main() {',
    "  console.log('out \\ud800'); console.error('err \\udc00');",
    "  return { ['\\udc00k']: ['\\ud800', 'pair \\ud83d\\ude00', '\\\\ud800 is text'], __proto__: null, inner: { ['__proto__']: 'x\\ud800' } };",
    '}',
  ].join('\n'));
  expect([r.success, r.stdout, r.stderr]).toEqual([true, `out ${FFFD}\n`, `err ${FFFD}\n`]);
  expect(r.returnValue).toEqual({ [`${FFFD}k`]: [FFFD, 'pair \ud83d\ude00', '\\ud800 is text'], inner: JSON.parse(`{"__proto__": "x${FFFD}"}`) });
  expect(Object.getPrototypeOf((r.returnValue as { inner: object }).inner)).toBe(Object.prototype);
});

it('a run whose error holds lone surrogates', async () => {
  const r = await run(engine, "export default async function main() { const e = new Error('m \\ud800'); e.name = 'N\\udc00'; e.stack = 'N\\udc00: m \\ud800\\n    at main (adhoc:1:2)'; throw e }");
  expect([r.error?.name, r.error?.message]).toEqual([`N${FFFD}`, `m ${FFFD}`]);
  expect(r.error?.stack.isWellFormed()).toBe(true);
});

it('a value is looked at again only when its JSON text may hold one', () => {
  expect(mayHoldLoneSurrogates(JSON.stringify({ a: 'pair \ud83d\ude00', b: 'é' }))).toBe(false);
  expect(mayHoldLoneSurrogates(JSON.stringify({ a: '\ud800' }))).toBe(true);
  expect(mayHoldLoneSurrogates(JSON.stringify({ ['\udfff']: 1 }))).toBe(true);
  expect(mayHoldLoneSurrogates('"\ud800"')).toBe(true); // not from JSON.stringify, still caught
});
