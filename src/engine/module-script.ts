/**
 * A module script as a classic script. isolated-vm can keep V8 code-cache data and a compiled Script
 * per isolate, but not a Module (one instantiation, in one context): every execution of a module
 * would parse and compile it again in its fresh context. Most module scripts are plain (no imports,
 * which scripts may not have anyway, no top-level await), so they are rewritten in place into
 *
 *   (function(){'use strict';let __E={__proto__:null};try{      <- its own first line
 *   ...the source, `export` keywords blanked out...
 *   ;__E.name=local;...}catch(e){return{__proto__:null,default(){throw e}}}return __E;})
 *
 * which evaluates to a function whose call (by the prelude, whose frames stacks leave out: a call
 * here would show in every stack taken at the module's top level) returns an object standing for
 * the module namespace. A module with top-level await gets an `async function`, whose promise of
 * that object the prelude awaits before it calls main, as a module's evaluation settles before its
 * exports are used (isolated-vm's Module.evaluate does not wait for it). A throw at the module's top level
 * is caught there and thrown again by the `default` the prelude calls as main, which describes it in
 * the isolate under its call's timeout: crossing isolated-vm alive, it would be copied out with its
 * message and stack read outside any timeout (a getter or Error.prepareStackTrace that spins would
 * hold the worker). The exports are taken inside the try block, which scopes the module's lexical
 * declarations. The wrapper shares its function
 * scope with the module's top-level names and runs after the module's own code, so it names nothing
 * but __E: no global (a module may declare its own `Object`, or replace `Object.create`), only
 * syntax (null-prototype literals). Positions are kept: the export
 * keywords become spaces of the same length (newlines stay), and the prefix line is compiled with
 * lineOffset -1, so stack traces and errors point into the caller's source. Anything this does not
 * handle (imports, top-level `arguments`, `import.meta`, a name clash, a parse error, a source over
 * MAX_WRAPPED_SOURCE with no `await` in it) keeps the module path, which reports the error exactly as
 * V8 sees it (and where a top-level throw crosses alive: a known limit, in README). Top-level await
 * with one of those is a CompileError: on the module path nothing would wait for it.
 */
import type { Node } from 'acorn';
import { parseJs } from './acorn-parser.ts';
import { CompileError } from './errors.ts';

/** The exports object's name inside the wrapper; sources that mention it keep the module path. */
const EXPORTS = '__E';
export const WRAPPED_PREFIX = `(function(){'use strict';let ${EXPORTS}={__proto__:null};try{\n`;
/** The wrapper of a module with top-level await (on its own line too: columns stay). */
export const WRAPPED_ASYNC_PREFIX = `(async function(){'use strict';let ${EXPORTS}={__proto__:null};try{\n`;
/** Compile a wrapped script with this line offset so line 1 of the source is line 1. */
export const WRAPPED_LINE_OFFSET = -1;

export type AnyNode = Node & Record<string, unknown>;

/** Replaces [start, end) with `text` padded by spaces to the same length, keeping the newlines. */
export function overwrite(chars: string[], start: number, end: number, text = ''): void {
  let t = 0;
  for (let i = start; i < end; i++) {
    const c = chars[i]!;
    if (c === '\n' || c === '\r' || c === '\u2028' || c === '\u2029') continue;
    chars[i] = t < text.length ? text[t++]! : ' ';
  }
  if (t < text.length) throw new Error('replacement longer than the text it replaces');
}

/** Names bound by a declaration pattern (`const { a, b: [c] } = ...` binds a and c). */
export function boundNames(pattern: AnyNode | null | undefined, out: string[]): void {
  if (!pattern) return;
  switch (pattern.type) {
    case 'Identifier': out.push(pattern.name as string); break;
    case 'ObjectPattern':
      for (const p of pattern.properties as AnyNode[]) boundNames((p.type === 'RestElement' ? p.argument : p.value) as AnyNode, out);
      break;
    case 'ArrayPattern': for (const e of pattern.elements as (AnyNode | null)[]) boundNames(e, out); break;
    case 'AssignmentPattern': boundNames(pattern.left as AnyNode, out); break;
    case 'RestElement': boundNames(pattern.argument as AnyNode, out); break;
  }
}

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);
const ANONYMOUS_DEFINITIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassDeclaration', 'ClassExpression']);

/** Whether `found` holds for a node outside every node `skip` holds for (whose subtree is not walked). */
function anyOutside(node: unknown, found: (n: AnyNode) => boolean, skip: (n: AnyNode) => boolean): boolean {
  if (Array.isArray(node)) return node.some((n) => anyOutside(n, found, skip));
  if (!node || typeof node !== 'object' || typeof (node as AnyNode).type !== 'string') return false;
  const n = node as AnyNode;
  if (found(n)) return true;
  if (skip(n)) return false;
  for (const key in n) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc') continue;
    const v = n[key];
    if (v && typeof v === 'object' && anyOutside(v, found, skip)) return true;
  }
  return false;
}

/** A top-level await (outside every function; it needs a real module). Function bodies are skipped. */
const topLevelAwait = (body: unknown) =>
  anyOutside(
    body,
    (n) => n.type === 'AwaitExpression' || (n.type === 'ForOfStatement' && n.await === true),
    (n) => FUNCTION_TYPES.has(n.type) || n.type === 'StaticBlock' || n.type === 'PropertyDefinition',
  );

/**
 * What of a module the wrapper cannot serve, read from its syntax tree (a property key, a label or a
 * comment spelling it is none): the wrapper's own name as an identifier, `import.meta`, or
 * `arguments` outside every non-arrow function (a ReferenceError in a module, the wrapper function's
 * own arguments once wrapped; arrows see their scope's, so they are walked). Walked with a stack.
 */
function unwrappable(program: AnyNode): string | undefined {
  const stack: [unknown, boolean][] = [[program.body, false]];
  while (stack.length > 0) {
    const [v, inFunction] = stack.pop()!;
    if (Array.isArray(v)) {
      for (const x of v) stack.push([x, inFunction]);
      continue;
    }
    if (!v || typeof v !== 'object' || typeof (v as AnyNode).type !== 'string') continue;
    const n = v as AnyNode;
    if (n.type === 'MetaProperty' && (n.meta as AnyNode).name === 'import') return 'import.meta';
    if (n.type === 'Identifier') {
      if (n.name === EXPORTS) return `the name ${EXPORTS}`;
      if (n.name === 'arguments' && !inFunction) return '`arguments` outside a function';
      continue;
    }
    const fn = inFunction || n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression';
    const named = !n.computed && (n.type === 'MemberExpression' ? 'property' : n.type === 'Property' || n.type === 'MethodDefinition' || n.type === 'PropertyDefinition' ? 'key' : undefined);
    for (const key in n) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'label' || key === named) continue;
      const c = n[key];
      if (c && typeof c === 'object') stack.push([c, fn]);
    }
  }
  return undefined;
}

/** An expression without the parentheses around it (acorn keeps them with preserveParens). */
function unparenthesised(node: AnyNode): AnyNode {
  while (node.type === 'ParenthesizedExpression') node = node.expression as AnyNode;
  return node;
}

/**
 * A module's syntax tree, as V8 would read it (throws acorn's SyntaxError when it does not parse).
 * preserveParens: a parenthesised default (`export default (() => 2)`) must be overwritten from its
 * `(`, and closed after its `)`, not inside them.
 */
export function parseModule(code: string): AnyNode {
  return parseJs(code, { ecmaVersion: 'latest', sourceType: 'module', preserveParens: true }) as unknown as AnyNode;
}

/** Every node of a syntax tree, walked with a stack: a deep expression is no deep recursion. */
export function syntaxNodes(program: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  const stack: unknown[] = [program];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v && typeof v === 'object' && typeof (v as AnyNode).type === 'string') {
      const n = v as AnyNode;
      out.push(n);
      for (const key in n) if (key !== 'loc' && n[key] && typeof n[key] === 'object') stack.push(n[key]);
    }
  }
  return out;
}

/** Sources above this keep the module path: parsing them here would cost more than it saves. */
export const MAX_WRAPPED_SOURCE = 16 * 1024;

/**
 * The wrapped script for a module source, or undefined when it must stay a module. The wrapped
 * script evaluates to an object with the module's exports (`default` included).
 */
export function moduleAsScript(code: string): string | undefined {
  // A hashbang is only allowed first: it becomes a line comment of the same length (inside the
  // wrapper's function it would not parse).
  if (code.startsWith('#!')) code = `//${code.slice(2)}`;
  // Past the bound only a module that may await at its top level is parsed (once per compile): the
  // module path would not wait for it.
  if (code.length > MAX_WRAPPED_SOURCE && !/\bawait\b/.test(code)) return undefined;
  let program: AnyNode;
  try {
    program = parseModule(code);
  } catch {
    return undefined; // V8 reports the error, from the module path
  }
  const awaits = topLevelAwait(program.body);
  const clash = unwrappable(program);
  if (clash !== undefined) {
    if (awaits) throw new CompileError(`a module script with top-level await may not use ${clash}`, 0, 0);
    return undefined;
  }
  if (!awaits && code.length > MAX_WRAPPED_SOURCE) return undefined;
  // UTF-16 code units, as acorn's offsets and V8's columns count them.
  const chars = code.split('');
  const exported: [string, string][] = []; // [exported name, local binding]
  /** Where an anonymous default's `{default:` literal closes (a module has one default at most). */
  let closeDefaultAt: number | undefined;
  for (const node of program.body as AnyNode[]) {
    switch (node.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
        return undefined;
      case 'ExportNamedDeclaration': {
        if (node.source) return undefined;
        const decl = node.declaration as AnyNode | null;
        if (decl) {
          overwrite(chars, node.start, decl.start);
          if (decl.type === 'VariableDeclaration') {
            const names: string[] = [];
            for (const d of decl.declarations as AnyNode[]) boundNames(d.id as AnyNode, names);
            for (const n of names) exported.push([n, n]);
          } else {
            const name = (decl.id as AnyNode).name as string;
            exported.push([name, name]);
          }
        } else {
          for (const s of node.specifiers as AnyNode[]) {
            const local = s.local as AnyNode;
            const ex = s.exported as AnyNode;
            exported.push([(ex.type === 'Identifier' ? ex.name : ex.value) as string, local.name as string]);
          }
          overwrite(chars, node.start, node.end);
        }
        break;
      }
      case 'ExportDefaultDeclaration': {
        // The declaration's full extent, parentheses included; its kind, without them.
        const decl = node.declaration as AnyNode;
        const inner = unparenthesised(decl);
        if ((decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') && decl.id) {
          // A hoisted declaration keeps its name; it is exported at the end.
          overwrite(chars, node.start, decl.start);
          exported.push(['default', (decl.id as AnyNode).name as string]);
        } else if (ANONYMOUS_DEFINITIONS.has(inner.type) && !inner.id) {
          // A module names an anonymous default function or class "default", parenthesised or not;
          // so does a property of that name in an object literal (an assignment would leave it nameless).
          overwrite(chars, node.start, decl.start, `${EXPORTS}={default:`);
          closeDefaultAt = decl.end;
        } else {
          overwrite(chars, node.start, decl.start, `${EXPORTS}.default=`); // an expression, where it stands
        }
        break;
      }
    }
  }
  let assignments = exported.map(([name, local]) => `${EXPORTS}[${JSON.stringify(name)}]=${local};`).join('');
  if (closeDefaultAt !== undefined) {
    // Close the literal and end the statement (an anonymous declaration is now an expression).
    chars[closeDefaultAt - 1] += '};';
    // The literal had Object.prototype (`{__proto__:null,` does not fit where `export default ` was).
    assignments = `${EXPORTS}={__proto__:null,default:${EXPORTS}.default};${assignments}`;
  }
  return `${awaits ? WRAPPED_ASYNC_PREFIX : WRAPPED_PREFIX}${chars.join('')}\n;${assignments}}catch(e){return{__proto__:null,default(){throw e}}}return ${EXPORTS};})`;
}
