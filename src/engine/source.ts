/** Source handling shared by host and worker: hashing, cache keys, TypeScript stripping, kind detection. */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { CompileError } from './errors.ts';
import type { Diagnostic, ScriptKind, ScriptLanguage } from './types.ts';
import { moduleAsScript } from './module-script.ts';

export function sourceHash(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

export function cacheKeyOf(hash: string, language: ScriptLanguage, kind: ScriptKind | undefined): string {
  return `${hash}:${language === 'typescript' ? 'ts' : 'js'}:${kind ?? 'auto'}`;
}

/** A file name that is safe to show in a stack trace: a base name, no host path. */
export function safeFilename(name: string | undefined, language: ScriptLanguage): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[^\w.\-]/g, '_').slice(0, 100);
  return clean || (language === 'typescript' ? 'script.ts' : 'script.js');
}

/** import/export starting a statement: at a line's start, or after another statement on the same line (one-liners). */
const MODULE_SYNTAX = /(^|[;}])[ \t]*(export\s|import\s*[\w{*'"])/m;

export function detectKind(code: string): ScriptKind {
  return MODULE_SYNTAX.test(code) ? 'module' : 'expression';
}

export interface PreparedSource {
  code: string;
  kind: ScriptKind;
  diagnostics: Diagnostic[];
  /** A module rewritten as a classic script (see module-script.ts): cacheable like one. */
  wrapped?: boolean;
}

interface TypeStripper { transformSync(source: string, options: { mode: 'strip-only' }): { code: string } }
/** amaro's own error: its position (line 1-based, column 0-based) and whether the syntax is the cause. */
interface StripperError { code?: string; message?: string; startLine?: number; startColumn?: number }

const require = createRequire(import.meta.url);
let stripper: TypeStripper | undefined;

/**
 * amaro (the type stripper Node itself bundles), loaded by this module so that it can be loaded
 * again: its WebAssembly instance overflows its stack on deeply nested source, and after such a
 * trap every later call fails ("memory access out of bounds") until a fresh instance is made.
 * Node's own stripTypeScriptTypes cannot be reset, and reports no position either.
 */
function loadStripper(): TypeStripper {
  for (const key of Object.keys(require.cache)) if (key.includes('/node_modules/amaro/')) delete require.cache[key];
  return require('amaro') as TypeStripper;
}

/** Types become spaces (positions are kept); a syntax error says where. */
export function stripTypes(source: string): string {
  stripper ??= loadStripper();
  try {
    return stripper.transformSync(source, { mode: 'strip-only' }).code;
  } catch (e) {
    const err = e as StripperError;
    if (err.code === 'InvalidSyntax' || err.code === 'UnsupportedSyntax') {
      throw new CompileError(`TypeScript: ${String(err.message)}`, err.startLine ?? 0, err.startLine ? (err.startColumn ?? 0) + 1 : 0);
    }
    // Its stack ran out (RangeError, or a WebAssembly trap that leaves the instance unusable).
    stripper = undefined;
    throw new CompileError('TypeScript: the source nests too deeply to strip its types', 0, 0);
  }
}

/** Strips TypeScript types (positions are kept: types become spaces) and decides the kind. */
export function prepareSource(source: string, language: ScriptLanguage, kind: ScriptKind | undefined): PreparedSource {
  const diagnostics: Diagnostic[] = [];
  let code = source;
  if (language === 'typescript') {
    code = stripTypes(source);
    diagnostics.push({ severity: 'info', message: 'TypeScript types were stripped, not type-checked', line: 0, column: 0 });
  }
  const k = kind ?? detectKind(code);
  if (k === 'module' && !/export\s+default\b|\bas\s+default\b/.test(code)) {
    throw new CompileError('a module script must export default (async) function main(args, ctx)', 0, 0);
  }
  for (const [re, what] of [
    [/\bprocess\s*\./, '`process` is not available in scripts'],
    [/\brequire\s*\(/, '`require` is not available in scripts'],
    [/\bimport\s*\(/, 'dynamic import() is not available in scripts'],
    [/\bsetInterval\s*\(/, '`setInterval` is not available in scripts (use setTimeout)'],
  ] as const) {
    const m = re.exec(code);
    if (m) {
      const before = code.slice(0, m.index);
      const line = before.split('\n').length;
      diagnostics.push({ severity: 'warning', message: what, line, column: m.index - before.lastIndexOf('\n') });
    }
  }
  const wrapped = k === 'module' ? moduleAsScript(code) : undefined;
  return wrapped === undefined ? { code, kind: k, diagnostics } : { code: wrapped, kind: k, diagnostics, wrapped: true };
}

/** V8 syntax errors from isolated-vm end with "[file:line:column]". */
export function parseCompileError(message: string): CompileError {
  const m = /\s*\[[^\]]*?:(\d+):(\d+)\]\s*$/.exec(message);
  const text = m ? message.slice(0, m.index) : message;
  // V8 says where await is allowed, not how to get there from a plain script (typed into grpcurl).
  const hint = /await is only valid in async functions and the top level bodies of modules$/.test(text)
    ? ' (a plain script cannot await outside a function: make it a module, e.g. `export default async () => { ... }`)' : '';
  return new CompileError(text + hint, m ? Number(m[1]) : 0, m ? Number(m[2]) : 0);
}
