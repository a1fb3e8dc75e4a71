/**
 * The prelude, installed once into a V8 startup snapshot that every isolate of the worker is made from.
 *
 * A context made from the snapshot starts with the prelude's guards in place: a fresh context then costs
 * its creation and one bind call, instead of its creation and the prelude's install (~0.5 ms, about as
 * much as the context itself). Host callbacks cannot be put into a snapshot, so the prelude is given
 * forwarders to slots; each context's bind (a global the first call deletes, made before any script
 * runs) fills them with its isolate's callbacks, then has the prelude adopt the context (V8's flagged
 * builtins, which it installs only after deserialising, and the run's memory limit: see adopt).
 */
import ivm from 'isolated-vm';
import { API_OP, PRELUDE_SOURCE } from './prelude.ts';

const BIND_GLOBAL = '__scriptengineBind';

/** The memory limit the snapshot's prelude is installed for; adopt sizes every bound to the real one. */
const INSTALLED_FOR_BYTES = 1024 * 1048576;

// The wrapper is one line before the prelude's first: the prelude's frames keep their line numbers.
const WRAPPER = [
  "(function (install) { 'use strict';",
  'const G = globalThis, defineProperty = Reflect.defineProperty, deleteProperty = Reflect.deleteProperty;',
  'let log, tool, timer;',
  `const api = install((s, t, n, e) => log(s, t, n, e), (n, j) => tool(n, j), (m, i) => timer(m, i), ${INSTALLED_FOR_BYTES});`,
  `defineProperty(G, '${BIND_GLOBAL}', { configurable: true, value: (l, t, m, bytes) => {`,
  `deleteProperty(G, '${BIND_GLOBAL}'); log = l; tool = t; timer = m; api(${API_OP.adopt}, bytes); return api; } });`,
  '})(',
].join(' ');
const SNAPSHOT_SOURCE = `${WRAPPER}${PRELUDE_SOURCE});`;

let snapshot: ivm.ExternalCopy<ArrayBuffer> | undefined;

/** The snapshot, made at the first call (V8 serialises the installed prelude: tens of milliseconds, once a worker). */
export function preludeSnapshot(): ivm.ExternalCopy<ArrayBuffer> {
  snapshot ??= ivm.Isolate.createSnapshot([{ code: SNAPSHOT_SOURCE, filename: '<prelude>' }]);
  return snapshot;
}

/**
 * Binds a context made from the snapshot to its isolate's host callbacks and memory limit, before any
 * script runs in it; returns the prelude's api (see prelude.ts).
 */
export function bindPrelude(context: ivm.Context, callbacks: readonly [ivm.Callback, ivm.Callback, ivm.Callback], memoryBytes: number): ivm.Reference {
  const bind = context.global.getSync(BIND_GLOBAL, { reference: true }) as ivm.Reference;
  try {
    return bind.applySync(undefined, [...callbacks, memoryBytes], { result: { reference: true }, timeout: 1000 }) as ivm.Reference;
  } finally {
    bind.release();
  }
}
