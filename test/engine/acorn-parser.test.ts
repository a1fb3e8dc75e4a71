// parseJs keeps a scope's declared names in sets (acorn's arrays made a source declaring many names
// quadratic to parse): it must answer exactly as acorn does, trees and redeclaration errors alike.
import { parse, type Options } from 'acorn';
import { describe, expect, it } from 'vitest';
import { parseJs } from '../../src/engine/acorn-parser.ts';

const outcome = (f: () => unknown): unknown => {
  try { return JSON.parse(JSON.stringify(f())); } catch (e) { return `${(e as Error).name}: ${(e as Error).message}`; }
};

describe('parseJs answers as acorn', () => {
  const sources = [
    'let a; let a;', 'let a; var a;', 'var a; let a;', 'var a; var a; function a() {}', 'function f() {} let f;',
    'const { x, y: [z, ...w] } = o; let z;', 'try {} catch (e) { let e; }', 'try {} catch (e) { var e; }', 'try {} catch ([e]) { var e; }',
    'export { nope };', 'export { a }; let a;', 'export let b; export { b as c };', 'class A {} class A {}', '{ function g() {} function g() {} }',
    'label: for (;;) { let i; { let i; } }', 'switch (1) { case 1: let q; case 2: let q; }', 'import x from "m"; let x;',
    'function h(a, a) {}', '"use strict"; function h(a, a) {}', 'for (let i of []) { var i; }',
  ];
  for (const sourceType of ['module', 'script'] as const) {
    it.each(sources)(`${sourceType}: %s`, (code) => {
      const options: Options = { ecmaVersion: 'latest', sourceType, preserveParens: true };
      expect(outcome(() => parseJs(code, options))).toEqual(outcome(() => parse(code, options)));
    });
  }

  it('many names in one scope, and one declared twice among them', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `a${i}`);
    const options: Options = { ecmaVersion: 'latest', sourceType: 'module' };
    expect((parseJs(`let ${names.join(', ')};`, options) as unknown as { body: { declarations: unknown[] }[] }).body[0]!.declarations).toHaveLength(20_000);
    expect(outcome(() => parseJs(`let ${names.join(', ')}, a17;`, options))).toEqual(outcome(() => parse(`let ${names.join(', ')}, a17;`, options)));
  });
});
