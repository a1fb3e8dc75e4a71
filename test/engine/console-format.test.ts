import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { run, startEngine } from './helpers.ts';

// What console prints of values JSON does not carry: it printed a cyclic object, or one holding a
// BigInt, as "[object Object]", a Map or Set as {}, and a format string's specifiers as written.

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

const printed = async (source: string): Promise<string[]> => {
  const r = await run(engine, `${source}\n0`);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  return r.stdout.split('\n').slice(0, -1);
};

describe('console', () => {
  it('prints a cyclic object with each reference back as [Circular], and an object seen twice twice', async () => {
    expect(await printed(`const c = { a: 1 }; c.self = c; c.list = [c, { back: c }];
      const shared = { s: 1 };
      console.log(c); console.log({ x: shared, y: shared });
      console.log({ toJSON() { const o = { k: 1 }; o.o = o; return o; } })`)).toEqual([
      '{"a":1,"self":"[Circular]","list":["[Circular]",{"back":"[Circular]"}]}',
      '{"x":{"s":1},"y":{"s":1}}',
      '{"k":1,"o":"[Circular]"}',
    ]);
  });

  it('prints a BigInt with its n, alone or inside an object, and -0 as -0', async () => {
    expect(await printed('console.log(10n, -0, { a: 1n, b: [-2n] }, 0)')).toEqual(['10n -0 {"a":"1n","b":["-2n"]} 0']);
  });

  it('prints an error inside an object as its name and message (alone, as its stack)', async () => {
    expect(await printed(`class NotFound extends Error { name = 'NotFound' }
      console.log({ status: 404, error: new NotFound('no such user') }, [new TypeError('bad')]);
      const odd = new Error('x'); odd.toString = () => { throw new Error('no'); }; console.log({ odd })`)).toEqual([
      '{"status":404,"error":"NotFound: no such user"} ["TypeError: bad"]',
      '{"odd":"[Error]"}',
    ]);
  });

  it('prints a Map and a Set as Node.js does, on one line, to their first 100 entries', async () => {
    expect(await printed(`console.log(new Map([[1, 2], ['k', { v: [1] }]]), new Set([1, 'two']), new Map(), new Set());
      console.log({ m: new Map([['a', 1]]) });
      const big = new Set(Array.from({ length: 102 }, (_, i) => i)); console.log(big);
      const self = new Map(); self.set('me', self); console.log(self);
      const a = new Set(), b = new Set([a]); a.add({ inner: b }); console.log(a);
      console.log(new Map([[1, new Map([[2, new Map([[3, new Map([[4, 5]])]])]])]]));
      class MyMap extends Map {} console.log(new MyMap([[1, 2]]), Object.create(Map.prototype))`)).toEqual([
      'Map(2) {1 => 2, "k" => {"v":[1]}} Set(2) {1, "two"} Map(0) {} Set(0) {}',
      '{"m":"Map(1) {\\"a\\" => 1}"}',
      `Set(102) {${Array.from({ length: 100 }, (_, i) => i).join(', ')}, ... 2 more items}`,
      'Map(1) {"me" => [Circular]}',
      'Set(1) {{"inner":"Set(1) {[Circular]}"}}',
      'Map(1) {1 => Map(1) {2 => Map(1) {3 => [Map]}}}',
      '{} {}',
    ]);
  });

  it('a thrown Map reads as console prints it', async () => {
    const r = await run(engine, "throw new Map([['code', 42]])");
    expect(r.error).toMatchObject({ kind: 'script_threw', name: 'Uncaught', message: 'Map(1) {"code" => 42}' });
  });

  it('reads format specifiers when a string comes first and more follows, as Node.js does', async () => {
    expect(await printed(`console.log('%s is %d years and %i days, %f%%, %o %j %O %c.', 'Ada', 36.6, '12.9', '1.5e2', { a: 1 }, [2], new Set([3]), 'color: red', 'extra', 3);
      console.log('%s %s', 'only one');
      console.log('100%', 'sure', '%s');
      console.log('%d %i %f', 5n, Symbol('s'), Symbol('t'));
      console.log('%x %', 1);
      console.log('%s|%s|%s', { a: 1 }, 2n, -0);
      console.log('%s %d')`)).toEqual([
      'Ada is 36.6 years and 12 days, 150%, {"a":1} [2] Set(1) {3} . extra 3',
      'only one %s',
      '100% sure %s',
      '5n NaN NaN',
      '%x % 1',
      '{"a":1}|2n|-0',
      '%s %d',
    ]);
    const r = await run(engine, "console.warn('%s!', 'warned'); 0");
    expect(r.stderr).toBe('warned!\n');
  });

  it('%s takes String() of a function or an object with a toString of its own, %j %o %O quote a string, as Node.js does', async () => {
    expect(await printed(`class Money { constructor(v) { this.v = v } toString() { return '$' + this.v } }
      console.log('Total: %s', new Money(5));
      console.log('%s', { toString() { return 'own' } }, 'rest');
      console.log('fn: %s', function named() { return 1 });
      console.log('%s|%s|%s', new Uint8Array([1, 2]), [1, 2], new Map([[1, 2]]));
      console.log('%j|%o|%O|%j', 'str', 'str', 'str', { a: 'x' });
      const odd = { toString() { throw new Error('no') } }; console.log('%s', odd);`)).toEqual([
      'Total: $5',
      'own rest',
      'fn: function named() { return 1 }',
      '1,2|[1,2]|Map(1) {1 => 2}',
      '"str"|"str"|"str"|{"a":"x"}',
      '{}',
    ]);
  });

  it('trace prints "Trace: message" and the script\'s frames to stderr', async () => {
    const r = await run(engine, "function where() { console.trace('at %d', 1); console.trace(); }\nwhere();\n0");
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.stderr).toMatch(/^Trace: at 1\n {4}at where \(script\.js:1:28\)\n {4}at script\.js:2:1\nTrace\n {4}at where \(script\.js:1:55\)\n {4}at script\.js:2:1\n$/);
  });

  it('has the rest of the Console standard: assert, count, time, group, dir, table, clear', async () => {
    const r = await run(engine, `console.dir({ a: 1 }); console.table([{ a: 1 }]); console.clear();
      console.assert(1 === 1, 'never'); console.assert(false); console.assert(false, 'x is %d', 5); console.assert(false, { a: 1 });
      console.count(); console.count(); console.count('k'); console.countReset('k'); console.count('k'); console.countReset('nope');
      console.time('t'); console.time('t'); console.timeLog('t', 'data', 1); console.timeEnd('t'); console.timeEnd('t');
      console.group('G1'); console.log('in 1\\nsecond line'); console.group(); console.warn('in 2'); console.groupEnd();
      console.log('back in 1'); console.groupEnd(); console.groupEnd(); console.log('out');
      for (let i = 0; i < 40; i++) console.group(); console.log('deep'); for (let i = 0; i < 40; i++) console.groupEnd();
      console.time('50%'); console.timeLog('50%', 'x %s');
      0`);
    expect(r.error, JSON.stringify(r.error)).toBeUndefined();
    expect(r.stdout.replace(/: \d+ms/g, ': Nms').split('\n')).toEqual([
      '{"a":1}', '[{"a":1}]',
      'default: 1', 'default: 2', 'k: 1', 'k: 1',
      't: Nms data 1', 't: Nms',
      'G1', '  in 1', '  second line', '  back in 1', 'out',
      `${'  '.repeat(32)}deep`,
      '50%: Nms x %s',
      '',
    ]);
    expect(r.stderr.split('\n')).toEqual([
      'Assertion failed', 'Assertion failed: x is 5', 'Assertion failed {"a":1}',
      "Warning: Count for 'nope' does not exist",
      "Warning: Label 't' already exists for console.time()", "Warning: No such label 't' for console.timeEnd()",
      '    in 2',
      '',
    ]);
  });
});
