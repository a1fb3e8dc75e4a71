// The module-as-script wrapper (module-script.ts) shares its function scope with the module's top
// level and runs after the module's own code: it must name no global the module can shadow or
// replace. A valid module runs as it would as a module, and its errors point at its own lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { moduleAsScript, WRAPPED_PREFIX } from '../../src/engine/module-script.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); });
afterAll(async () => { await engine.close(); }, 20_000);

const value = async (source: string) => {
  const r = await run(engine, source);
  expect(r.error, JSON.stringify(r.error)).toBeUndefined();
  return r.returnValue;
};

describe('the module wrapper names no guest global', () => {
  it('its own text uses syntax only', () => {
    const sources = ['export const a = 1;\nexport default () => a;', 'export default () => 1;', 'export default function main() {}\nexport { main as m };'];
    for (const src of sources) {
      const out = moduleAsScript(src)!;
      expect(out).toBeTypeOf('string');
      const wrapper = out.slice(0, WRAPPED_PREFIX.length) + out.slice(WRAPPED_PREFIX.length + src.length);
      expect(wrapper).not.toMatch(/Object|Reflect|globalThis/);
    }
  });

  it('runs a module that declares its own top-level Object (and keeps it wrapped)', async () => {
    const sources = [
      'const Object = { tag: 1 };\nexport default () => Object.tag',
      'class Object { static tag = 2 }\nexport default function main() { return Object.tag }',
      'function Object() { return 3 }\nexport default () => Object()',
      'const Object = 4;\nexport default (() => Object)',
      'let Object = 5;\nexport { Object };\nexport default () => Object',
    ];
    for (const [i, src] of sources.entries()) {
      expect(moduleAsScript(src)).toBeTypeOf('string');
      expect(await value(src)).toBe(i + 1);
    }
  });

  it('runs a module that replaces the Object builtins at its top level', async () => {
    expect(await value('Object.setPrototypeOf = () => { throw new Error("mine") };\nObject.create = Object.setPrototypeOf;\nexport default () => 1')).toBe(1);
    expect(await value('Object.setPrototypeOf = () => { throw new Error("mine") };\nexport default function () { return 2 }')).toBe(2);
    expect(await value('delete Object.prototype.__proto__;\nexport const x = 3;\nexport default () => x')).toBe(3);
  });

  it('a wrapped module\'s exports object still has no prototype', async () => {
    // A setter on Object.prototype would see the exports if they had it.
    const src = 'Object.defineProperty(Object.prototype, "default", { set() { throw new Error("setter") } });\nexport default () => 7';
    expect(await value(src)).toBe(7);
    expect(await value('const p = 8;\nexport { p as "__proto__" };\nexport default () => p')).toBe(8);
  });

  it('an error in such a module points at the source\'s own line', async () => {
    const r = await run(engine, 'class Object {}\nexport default function main() {\n  throw new Error("own " + typeof Object);\n}', { filename: 'own.js' });
    expect(r.error?.message).toBe('own function');
    expect([r.error?.line, r.error?.column]).toEqual([3, 9]);
    expect(r.error?.stack).toContain('own.js:3:9');
  });
});
