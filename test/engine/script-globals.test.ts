import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { startEngine, valueOf } from './helpers.ts';

// What README "Scripts" says a script has: V8's built-ins, console, the bounded timers and
// queueMicrotask; none of the APIs of Node.js or the browser.

let engine: Engine;
beforeAll(async () => { engine = await startEngine({ workers: 1 }); }, 20_000);
afterAll(async () => { await engine?.close(); }, 20_000);

it('has no global beyond the ECMAScript ones but console, setTimeout, clearTimeout and queueMicrotask', async () => {
  expect(await valueOf(engine, 'Object.getOwnPropertyNames(globalThis).filter((k) => /^[a-z]/.test(k)).sort()')).toEqual([
    'clearTimeout', 'console', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'eval',
    'globalThis', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'queueMicrotask', 'setTimeout', 'undefined', 'unescape',
  ]);
});

it('has none of the Node.js or browser APIs the README names', async () => {
  const names = ['setInterval', 'fetch', 'TextEncoder', 'URL', 'atob', 'structuredClone', 'crypto', 'performance',
    'process', 'require', 'SharedArrayBuffer', 'WebAssembly'];
  expect(await valueOf(engine, `${JSON.stringify(names)}.filter((n) => typeof globalThis[n] !== 'undefined')`)).toEqual([]);
});

it('gives main its args and a ctx of env, user, tools, executionId and scriptId', async () => {
  expect(await valueOf(engine, 'export default async function main(args, ctx) { return [args, Object.keys(ctx)] }')).toEqual([
    {}, ['env', 'user', 'tools', 'executionId', 'scriptId'],
  ]);
});
