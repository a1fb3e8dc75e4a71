// An error whose stack cannot be read (a stack getter, or an Error.prepareStackTrace, that throws) was told
// as { name: "Error", message: "[a value was thrown that cannot be described]" }, its own name and message
// lost, and console printed it as "[Error]" where Node.js prints "[TypeError: ...]".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const thrown = async (source: string) => {
  const r = await run(engine, source);
  expect(r.success, JSON.stringify(r.returnValue)).toBe(false);
  return r.error!;
};
const printed = async (source: string): Promise<string[]> => {
  const r = await run(engine, `${source}\n0`);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  return r.stdout.split('\n').slice(0, -1);
};
const brief = (c: { name: string; message: string; stack?: string }) => `${c.name}|${c.message}|${c.stack}`;

describe('a thrown error whose stack cannot be read', () => {
  // With no stack to tell, a thrown one's stack is its header (as for any thrown value without one), with no frames.
  it('keeps its name and message, with no frames', async () => {
    const e = await thrown(`export default async function main() {
  const e = new RangeError("the real reason"); Object.defineProperty(e, 'stack', { get() { throw 0; } }); throw e;
}`);
    expect(e).toMatchObject({ kind: 'script_threw', name: 'RangeError', message: 'the real reason', stack: 'RangeError: the real reason' });
  });

  it('keeps them when Error.prepareStackTrace throws, in main and at the top level', async () => {
    expect(await thrown(`export default async function main() { Error.prepareStackTrace = () => { throw new Error("x") }; throw new Error("boom"); }`))
      .toMatchObject({ name: 'Error', message: 'boom', stack: 'Error: boom' });
    expect(await thrown(`Error.prepareStackTrace = () => { throw new Error("x") };\nnull.x`))
      .toMatchObject({ name: 'TypeError', message: "Cannot read properties of null (reading 'x')", stack: "TypeError: Cannot read properties of null (reading 'x')" });
  });

  it('as a cause or one of an AggregateError\'s errors, keeps its name and message too', async () => {
    const e = await thrown(`export default async function main() {
  const c = new TypeError("inner"); Object.defineProperty(c, 'stack', { get() { throw 0; } });
  throw new Error("outer", { cause: c });
}`);
    expect(e.causes?.map(brief)).toEqual(['TypeError|inner|']);
    const a = await thrown(`export default async function main() {
  const x = new SyntaxError("one"); Object.defineProperty(x, 'stack', { get() { throw 0; } });
  throw new AggregateError([x, new Error("two")], "all failed");
}`);
    expect(a.errors?.map((c) => `${c.name}|${c.message}`)).toEqual(['SyntaxError|one', 'Error|two']);
    expect(a.errors?.[0]!.stack).toBe('');
  });
});

describe('a thrown error whose name cannot be read or made a string', () => {
  // The name was read in the one try with the message: its throw lost the message too.
  it('is an Error, its message kept', async () => {
    expect(await thrown(`export default async function main() {
  const e = new RangeError("the real reason"); Object.defineProperty(e, 'name', { get() { throw 0; } }); throw e;
}`)).toMatchObject({ kind: 'script_threw', name: 'Error', message: 'the real reason' });
    expect(await thrown(`const e = new TypeError("still told"); e.name = { toString() { throw 0; } }; throw e`))
      .toMatchObject({ name: 'Error', message: 'still told' });
    const c = await thrown(`export default async function main() {
  const c = new TypeError("inner"); c.name = { toString() { throw 0; } }; throw new Error("outer", { cause: c });
}`);
    expect(c.causes?.map((x) => `${x.name}|${x.message}`)).toEqual(['Error|inner']);
  });

  it('one whose message cannot be read keeps its name', async () => {
    expect(await thrown(`const e = new TypeError("m"); Object.defineProperty(e, 'message', { get() { throw 0; } }); throw e`))
      .toMatchObject({ name: 'TypeError', message: '[a value was thrown that cannot be described]' });
  });
});

describe('console, given an error whose stack cannot be read', () => {
  it('prints its name and message in brackets, as Node.js does', async () => {
    expect(await printed(`Error.prepareStackTrace = () => { throw 1 }; try { null.x } catch (e) { console.log("caught:", e) }`))
      .toEqual(["caught: [TypeError: Cannot read properties of null (reading 'x')]"]);
    expect(await printed(`const unreadable = (e) => Object.defineProperty(e, 'stack', { get() { throw 0; } });
      console.log(unreadable(new RangeError("the real reason")));
      console.log(unreadable(new RangeError("")));
      const unnamed = new Error("m"); unnamed.name = ""; console.log(unreadable(unnamed));
      const multi = unreadable(new TypeError("multi\\nline")); console.log(multi);
      const own = unreadable(new TypeError("m")); own.toString = () => "forged"; console.log(own)`)).toEqual([
      '[RangeError: the real reason]', '[RangeError]', '[m]', '[TypeError: multi', 'line]', '[TypeError: m]',
    ]);
  });

  it('still prints its cause', async () => {
    const out = await printed(`const e = new Error("m", { cause: new Error("c") }); Object.defineProperty(e, 'stack', { get() { throw 0; } }); console.log(e)`);
    expect(out[0]).toBe('[Error: m] {');
    expect(out[1]).toBe('  [cause]: Error: c');
    expect(out.at(-1)).toBe('}');
  });

  it('one whose message cannot be read either prints as Object.prototype.toString does', async () => {
    expect(await printed(`const e = new TypeError("m"); Object.defineProperty(e, 'stack', { get() { throw 0; } });
      Object.defineProperty(e, 'message', { get() { throw 0; } }); console.log(e)`)).toEqual(['[object Error]']);
  });
});
