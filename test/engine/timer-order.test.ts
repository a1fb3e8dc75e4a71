// Timers run in the order of their due times, whatever order the host's own timers fire in: each
// setTimeout reaches the host in a turn of its event loop of its own, so under load a timer set first
// with a longer delay came due there before a shorter one set just after it (seen as a flaky
// differential test). The prelude is driven here in process with the host's deliveries in a chosen
// order, as a late host would make them.
import { afterEach, beforeEach, expect, it } from 'vitest';
import ivm from 'isolated-vm';
import { API_OP, PRELUDE_SOURCE } from '../../src/engine/prelude.ts';

let isolate: ivm.Isolate;
let context: ivm.Context;
let api: ivm.Reference;
let hostCalls: Array<[number, number]>;

beforeEach(() => {
  isolate = new ivm.Isolate({ memoryLimit: 64 });
  context = isolate.createContextSync();
  hostCalls = [];
  const install = isolate.compileScriptSync(PRELUDE_SOURCE).runSync(context, { reference: true }) as ivm.Reference;
  const noop = new ivm.Callback(() => 0);
  const timer = new ivm.Callback((ms: number, id: number) => { hostCalls.push([ms, id]); });
  api = install.applySync(undefined, [noop, noop, timer, 64 * 1048576], { result: { reference: true } }) as ivm.Reference;
});
afterEach(() => { isolate.dispose(); });

const fire = (id: number) => { api.applySync(undefined, [API_OP.fire, id]); };
const order = () => JSON.parse(context.evalSync('JSON.stringify(globalThis.order)') as string) as string[];

it('a delivery runs the earliest due timer, and one that ran early has its own delivery run the next', () => {
  context.evalSync(`globalThis.order = [];
    globalThis.ids = [setTimeout(() => order.push('a15'), 15), setTimeout(() => order.push('b8'), 8), setTimeout(() => order.push('c8'), 8)];`);
  const [a, b, c] = JSON.parse(context.evalSync('JSON.stringify(ids)') as string) as number[];
  expect(hostCalls).toEqual([[15, a], [8, b], [8, c]]);
  fire(a); // the host's 15 ms timer first: the 8 ms ones are due by then too, and run first, in the order set
  expect(order()).toEqual(['b8']);
  fire(b);
  expect(order()).toEqual(['b8', 'c8']);
  fire(c);
  expect(order()).toEqual(['b8', 'c8', 'a15']);
});

it('a timer due later than every delivery so far waits for its own', () => {
  context.evalSync(`globalThis.order = [];
    globalThis.ids = [setTimeout(() => order.push('a5'), 5), setTimeout(() => order.push('b1000'), 1000)];`);
  const [a, b] = JSON.parse(context.evalSync('JSON.stringify(ids)') as string) as number[];
  fire(a);
  fire(a); // a repeated delivery runs nothing that is not due
  expect(order()).toEqual(['a5']);
  fire(b);
  expect(order()).toEqual(['a5', 'b1000']);
});

it('microtasks run between two timers delivered back to back', () => {
  context.evalSync(`globalThis.order = [];
    globalThis.ids = [setTimeout(() => { order.push('a'); Promise.resolve().then(() => order.push('a then')); }, 9),
      setTimeout(() => order.push('b'), 3)];`);
  const [a, b] = JSON.parse(context.evalSync('JSON.stringify(ids)') as string) as number[];
  fire(a);
  fire(b);
  expect(order()).toEqual(['b', 'a', 'a then']);
});

it('a cleared timer neither runs nor holds back the others', () => {
  context.evalSync(`globalThis.order = [];
    globalThis.ids = [setTimeout(() => order.push('a20'), 20), setTimeout(() => order.push('b5'), 5)];
    setTimeout(() => { order.push('c1'); clearTimeout(ids[1]); }, 1);`);
  const [a, b] = JSON.parse(context.evalSync('JSON.stringify(ids)') as string) as number[];
  const c = hostCalls[2]![1];
  fire(a); // c1 is the earliest due: it runs, and clears b5 (its host timer cleared too)
  expect(order()).toEqual(['c1']);
  expect(hostCalls).toContainEqual([-1, b]);
  fire(c); // c's own delivery: a20 is due (its host timer fired) and runs
  expect(order()).toEqual(['c1', 'a20']);
});

it('holds 1000 pending timers and refuses the 1001st, until one is cleared or has run', () => {
  context.evalSync(`globalThis.ids = []; for (let i = 0; i < 1000; i++) ids.push(setTimeout(() => {}, 5));`);
  const over = () => context.evalSync(`(() => { try { ids.push(setTimeout(() => {}, 5)); return 'set'; } catch (e) { return e.name + ': ' + e.message; } })()`);
  expect(over()).toBe('RangeError: setTimeout: too many pending timers (max 1000)');
  context.evalSync('clearTimeout(ids[0])');
  expect(over()).toBe('set');
  expect(over()).toMatch(/^RangeError/);
  fire(hostCalls[1]![1]);
  expect(over()).toBe('set');
  expect(hostCalls.filter(([ms]) => ms >= 0)).toHaveLength(1002);
});
