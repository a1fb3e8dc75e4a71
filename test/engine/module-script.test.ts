// Module scripts run as classic scripts when they can (module-script.ts), so their compiled code is
// cached per isolate. What must not change is what a script sees: module semantics, every export
// form, and the line and column of its errors. Modules the rewrite leaves alone keep working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { MAX_WRAPPED_SOURCE, moduleAsScript } from '../../src/engine/module-script.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); });
afterAll(async () => { await engine.close(); }, 20_000);

const value = async (source: string, args: Record<string, unknown> = {}) => {
  const r = await run(engine, source, { arguments: args as never });
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  return r.returnValue;
};

describe('module scripts as classic scripts', () => {
  it('rewrites plain modules and leaves the rest to the module path', () => {
    expect(moduleAsScript('export default async function main(args) { return args; }')).toBeTypeOf('string');
    expect(moduleAsScript('const x = 1;\nexport { x as default };')).toBeTypeOf('string');
    // Top-level await: an async wrapper, whose promise the prelude awaits, whatever the size.
    expect(moduleAsScript('export default await Promise.resolve(1);')).toMatch(/^\(async function\(\)/);
    expect(moduleAsScript('for await (const x of []) {}\nexport default 1;')).toMatch(/^\(async function\(\)/);
    expect(moduleAsScript(`await 0;\nexport default () => 1;\n${'//'.padEnd(MAX_WRAPPED_SOURCE, '.')}`)).toMatch(/^\(async function\(\)/);
    expect(moduleAsScript('export default () => 1;')).toMatch(/^\(function\(\)/);
    expect(moduleAsScript('import x from "y";\nexport default x;')).toBeUndefined();
    expect(moduleAsScript('export * from "y";\nexport default 1;')).toBeUndefined();
    expect(moduleAsScript('export default () => import.meta;')).toBeUndefined();
    expect(moduleAsScript('const __E = 1;\nexport default __E;')).toBeUndefined(); // the wrapper's own name
    expect(moduleAsScript('export default (;')).toBeUndefined(); // V8 reports it
    expect(moduleAsScript(`export default () => 1;\n${'//'.padEnd(MAX_WRAPPED_SOURCE, '.')}`)).toBeUndefined(); // too big to parse here
    // The module path would not wait for a top-level await: refused where the wrapper cannot serve.
    expect(() => moduleAsScript('await 0;\nexport default () => import.meta;')).toThrow('a module script with top-level await may not use import.meta');
    expect(() => moduleAsScript('const __E = await 1;\nexport default () => __E;')).toThrow('may not use the name __E');
    expect(() => moduleAsScript('await 0;\nexport default () => arguments;')).toThrow('may not use `arguments` outside a function');
    // Read from the syntax tree: a longer name, a comment, a property key or member are no clash.
    for (const source of [
      'const __ENV__ = { mode: "x" };\nawait 0;\nexport default () => __ENV__.mode;',
      '// import.meta is not available here\nconst v = await Promise.resolve(1);\nexport default () => v;',
      'const o = { arguments: 1, __E: 2 };\nconst v = await Promise.resolve(o.arguments + o.__E);\nexport default () => v;',
      'await 0;\nexport default function main() { return arguments.length; }',
    ]) expect(moduleAsScript(source), source).toMatch(/^\(async function\(\)/);
    expect(moduleAsScript('const __ENV__ = 1;\nexport default () => __ENV__;'), 'no await').toMatch(/^\(function\(\)/);
    // await inside a function is not top-level
    expect(moduleAsScript('export default async function main() { await 1; for await (const x of []) {} }')).toBeTypeOf('string');
  });

  it('keeps every line and column of the source', () => {
    const src = 'const a = 1;\nexport const b = 2;\nexport default async function main() {\n  return a + b;\n}\nexport { a };';
    const out = moduleAsScript(src)!;
    const lines = out.split('\n').slice(1, 1 + src.split('\n').length);
    expect(lines.map((l) => l.length)).toEqual(src.split('\n').map((l) => l.length));
    expect(lines[3]).toBe('  return a + b;');
  });

  it('serves every export form', async () => {
    expect(await value('export default async function main(args) { return args.n * 2; }', { n: 21 })).toBe(42);
    expect(await value('const main = (args) => args.n + 1;\nexport { main as default };', { n: 1 })).toBe(2);
    expect(await value('export default (args) => ({ kind: "arrow", n: args.n });', { n: 3 })).toEqual({ kind: 'arrow', n: 3 });
    expect(await value('export default async function () { return "anonymous"; }\n(42)')).toBe('anonymous');
    // As in a module, an anonymous default function or class is named "default".
    const cls = await run(engine, 'export default class { }');
    expect(cls.error?.message).toBe("Class constructor default cannot be invoked without 'new'");
    expect(await value('export default function () { return typeof this; }')).toBe('undefined');
    expect(await value('const fns = [];\nexport default () => fns;\nfns.push(1);')).toEqual([1]);
    const named = await run(engine, 'export default () => { throw new Error("in " + new Error().stack.split("\\n")[1].trim().split(" ")[1]); };');
    expect(named.error?.message).toBe('in default');
    expect(await value('export const { a, b: [c] } = { a: 1, b: [2] };\nexport function helper() { return a + c; }\nexport default () => helper();')).toBe(3);
  });

  it('keeps module semantics: strict, no top-level this, top-level names are not globals', async () => {
    expect(await value('const self = this;\nexport default () => self === undefined;')).toBe(true);
    expect(await value('var g = 1;\nfunction f() {}\nexport default () => [typeof globalThis.g, typeof globalThis.f];')).toEqual(['undefined', 'undefined']);
    const r = await run(engine, 'export default function main() {\n  undeclared = 1;\n}');
    expect(r.success).toBe(false);
    expect(r.error?.name).toBe('ReferenceError');
  });

  it('reports the line and column of a throw in the source', async () => {
    const src = 'const x = 1;\n\nexport default function main() {\n    throw new Error("boom " + x);\n}';
    const r = await run(engine, src, { filename: 'lines.js' });
    expect(r.success).toBe(false);
    expect(r.error?.message).toBe('boom 1');
    expect([r.error?.line, r.error?.column]).toEqual([4, 11]);
    expect(r.error?.stack).toContain('lines.js:4:11');
  });

  it('serves a parenthesised default export', async () => {
    expect(moduleAsScript('export default (() => 2);')).toBeTypeOf('string');
    expect(await value('export default (() => 2)')).toBe(2);
    expect(await value('export default ((async (args) => args.n));', { n: 7 })).toBe(7);
    expect(await value('export default (function () { return "fn"; })')).toBe('fn');
    expect(await value('const f = () => "comma";\nexport default (0, f)\n')).toBe('comma');
    // Still named "default", as in a module.
    const cls = await run(engine, 'export default (class {})');
    expect(cls.error?.message).toBe("Class constructor default cannot be invoked without 'new'");
    const named = await run(engine, 'export default (() => { throw new Error("in " + new Error().stack.split("\\n")[1].trim().split(" ")[1]); });');
    expect(named.error?.message).toBe('in default');
  });

  it('keeps top-level arguments undefined, as in a module', async () => {
    expect(moduleAsScript('const a = arguments;\nexport default () => a;')).toBeUndefined();
    expect(moduleAsScript('export default () => arguments.length;')).toBeUndefined(); // an arrow sees the top level's
    expect(moduleAsScript('export default function () { return arguments.length; }')).toBeTypeOf('string');
    expect(await value('export default () => typeof arguments;')).toBe('undefined');
    const r = await run(engine, 'const a = arguments;\nexport default () => 1;');
    expect([r.success, r.error?.name]).toEqual([false, 'ReferenceError']);
    expect(await value('export default function (args) { return arguments[0].n; }', { n: 4 })).toBe(4);
  });

  it('runs a module with top-level await to its end before main, as a module evaluates', async () => {
    expect(await value('const v = await Promise.resolve(5);\nexport default () => v * 2;')).toBe(10);
    // Awaits that need the host (timers) settle before main is called; the module's own output comes first.
    const timer = await run(engine, 'console.log("start");\nconst v = await new Promise((r) => setTimeout(() => r(5), 10));\nconsole.log("after");\nexport default function main() { return v; }');
    expect([timer.error, timer.returnValue, timer.stdout]).toEqual([undefined, 5, 'start\nafter\n']);
    expect(await value('for await (const x of [Promise.resolve(1), 2]) { globalThis.seen = (globalThis.seen ?? 0) + x; }\nexport default () => globalThis.seen;')).toBe(3);
    // Over MAX_WRAPPED_SOURCE too.
    expect(await value(`const v = await new Promise((r) => setTimeout(() => r(7), 5));\nexport default () => v;\n${'//'.padEnd(MAX_WRAPPED_SOURCE, '.')}`)).toBe(7);
  });

  it('awaits its top level with the prelude\'s own then, whatever the module made of Promise.prototype.then', async () => {
    expect(await value('Promise.prototype.then = function () { return "hijacked"; };\nawait 0;\nexport default () => "ok";')).toBe('ok');
    expect(await value('const o = { arguments: 1 };\nconst v = await Promise.resolve(o.arguments);\nexport default () => v + 1;')).toBe(2);
  });

  it('reports a top-level await that rejects as the script\'s error, with its line', async () => {
    const r = await run(engine, 'await null;\nawait new Promise((_, rej) => setTimeout(() => rej(new Error("late boom")), 10));\nexport default function main() { return "main ran"; }', { filename: 'tla.js' });
    expect([r.success, r.error?.name, r.error?.message, r.error?.line]).toEqual([false, 'Error', 'late boom', 2]);
  });

  it('times out a top-level await that never settles', async () => {
    const r = await run(engine, 'await new Promise(() => {});\nexport default () => 1;', { limits: { wallTimeoutMs: 300 } as never });
    expect([r.success, r.error?.kind]).toEqual([false, 'timeout']);
  });

  it('shows no frame of the wrapper in a stack taken at the module\'s top level', async () => {
    for (const source of ['const e = new Error("m");\nexport default () => { throw e; };', 'await 0;\nconst e = new Error("m");\nexport default () => { throw e; };']) {
      const r = await run(engine, source, { filename: 'top.js' });
      const frames = r.error!.stack.split('\n').slice(1);
      expect(frames, source).toHaveLength(1);
      expect(frames[0], source).toMatch(/top\.js:\d:11\)?$/);
    }
    const printed = await run(engine, 'console.log(new Error("p"));\nexport default () => 1;', { filename: 'top.js' });
    expect(printed.stdout.trim().split('\n')).toEqual(['Error: p', '    at top.js:1:13']);
  });
});
