// V8 installs its flagged builtins into a context made from a snapshot only after deserialising it,
// so the prelude, installed into the snapshot, never saw them: its adopt step removes or guards those
// the install touches. This test finds both sets on this V8 (in process, no server) and fails when the
// install touches a late builtin adopt does not handle: a prelude change or a V8 upgrade to review.
import { describe, expect, it } from 'vitest';
import ivm from 'isolated-vm';
import { PRELUDE_SOURCE } from '../../src/engine/prelude.ts';

/** The late builtins adopt (prelude.ts) removes or guards; the paths under each name included. */
const ADOPTED = ['SharedArrayBuffer', 'WebAssembly', 'Float16Array', 'RegExp.escape'];

// Own properties of the global and of what they hold, three levels deep, as path -> value, in the context.
const WALK = `(() => { const out = new Map(), seen = new Set();
  const visit = (o, path, depth) => {
    if (depth > 3 || o === null || (typeof o !== 'object' && typeof o !== 'function') || seen.has(o)) return;
    seen.add(o);
    for (const k of Reflect.ownKeys(o)) {
      const name = (path ? path + '.' : '') + String(k);
      const d = Reflect.getOwnPropertyDescriptor(o, k);
      out.set(name, d.get ?? d.value);
      if (!('get' in d)) visit(d.value, name, depth + 1);
    }
  };
  visit(globalThis, '', 0);
  return out; })()`;

describe('builtins V8 installs after deserialising a snapshot', () => {
  it('are handled by adopt wherever the prelude install touches them', () => {
    // The late ones: present in a context made from a snapshot, absent while it was made.
    const snapshot = ivm.Isolate.createSnapshot([{ code: `globalThis.__before = JSON.stringify([...${WALK}.keys()]);` }]);
    const fromSnapshot = new ivm.Isolate({ memoryLimit: 64, snapshot });
    const late: string[] = JSON.parse(fromSnapshot.createContextSync().evalSync(
      `(() => { const before = new Set(JSON.parse(__before)); return JSON.stringify([...${WALK}.keys()].filter((k) => !before.has(k) && !k.startsWith('__before'))); })()`,
    ) as string);
    fromSnapshot.dispose();
    expect(late).toContain('SharedArrayBuffer'); // the walk sees them at all

    // What the install changes, adds or removes, in a context it runs in as once it did in each.
    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    const context = isolate.createContextSync();
    context.evalSync(`globalThis.__walk = () => ${WALK}; globalThis.__before = __walk();`);
    const install = isolate.compileScriptSync(PRELUDE_SOURCE).runSync(context, { reference: true }) as ivm.Reference;
    const noop = new ivm.Callback(() => 0);
    install.applySync(undefined, [noop, noop, noop, 64 * 1048576], { result: { reference: true } });
    const touched: string[] = JSON.parse(context.evalSync(`(() => { const before = __before, after = __walk(), out = [];
      for (const [k, v] of after) if (!k.startsWith('__') && (!before.has(k) || before.get(k) !== v)) out.push(k);
      for (const k of before.keys()) if (!k.startsWith('__') && !after.has(k)) out.push(k);
      return JSON.stringify(out); })()`) as string);
    isolate.dispose();
    expect(touched).toContain('RegExp.escape'); // the install's own guards are seen

    const adopted = (path: string) => ADOPTED.some((name) => path === name || path.startsWith(name + '.'));
    const lateTouched = late.filter((path) => touched.includes(path));
    expect(lateTouched.filter((path) => !adopted(path))).toEqual([]);
    // Each adopted name is still late and touched (else the list above is stale).
    expect(ADOPTED.filter((name) => lateTouched.some((p) => p === name || p.startsWith(name + '.')))).toEqual(ADOPTED);
  });
});
