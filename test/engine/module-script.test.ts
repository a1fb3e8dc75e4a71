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
    expect(moduleAsScript('export default await Promise.resolve(1);')).toBeUndefined(); // top-level await
    expect(moduleAsScript('for await (const x of []) {}\nexport default 1;')).toBeUndefined();
    expect(moduleAsScript('import x from "y";\nexport default x;')).toBeUndefined();
    expect(moduleAsScript('export * from "y";\nexport default 1;')).toBeUndefined();
    expect(moduleAsScript('export default () => import.meta;')).toBeUndefined();
    expect(moduleAsScript('const __E = 1;\nexport default __E;')).toBeUndefined(); // the wrapper's own name
    expect(moduleAsScript('export default (;')).toBeUndefined(); // V8 reports it
    expect(moduleAsScript(`export default () => 1;\n${'//'.padEnd(MAX_WRAPPED_SOURCE, '.')}`)).toBeUndefined(); // too big to parse here
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

  it('still runs what stays a module: top-level await', async () => {
    expect(await value('const v = await Promise.resolve(5);\nexport default () => v * 2;')).toBe(10);
  });
});
