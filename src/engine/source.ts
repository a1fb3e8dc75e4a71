/** Source handling shared by host and worker: hashing, cache keys, TypeScript stripping, kind detection. */
import { createHash } from 'node:crypto';
import { stripTypeScriptTypes } from 'node:module';
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

const MODULE_SYNTAX = /^[ \t]*(export\s|import\s*[\w{*'"])/m;

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

/** Strips TypeScript types (positions are kept: types become spaces) and decides the kind. */
export function prepareSource(source: string, language: ScriptLanguage, kind: ScriptKind | undefined): PreparedSource {
  const diagnostics: Diagnostic[] = [];
  let code = source;
  if (language === 'typescript') {
    try {
      code = stripTypeScriptTypes(source, { mode: 'strip' });
    } catch (e) {
      const err = e as { message?: string };
      const msg = String(err.message ?? e);
      const m = /:(\d+):(\d+)\]?\s*$/m.exec(msg);
      throw new CompileError(`TypeScript: ${msg.split('\n')[0]}`, m ? Number(m[1]) : 0, m ? Number(m[2]) : 0);
    }
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
  if (m) return new CompileError(message.slice(0, m.index), Number(m[1]), Number(m[2]));
  return new CompileError(message, 0, 0);
}
