/**
 * Engine benchmark: the raw in-process floors ("fresh context + run" with isolated-vm in this process,
 * with the async calls and with the sync calls the engine's workers use),
 * engine execute throughput with p50/p99, and cached vs uncached compile of a ~100 KB script.
 * Run alone: `node bench/engine.ts` (writes bench/results/engine.json), or call runEngineBench().
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ivm from 'isolated-vm';
import { createEngine, type ExecutionLimits } from '../src/engine/index.ts';

const MiB = 1048576;
const SMALL = 'export default async function main(args) { return { sum: args.a + args.b }; }';

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}
const round = (n: number) => Math.round(n * 1000) / 1000;

export function generateScript(targetBytes = 100 * 1024, salt = ''): string {
  let s = `// generated ${salt}\nconst table = [];\n`;
  let i = 0;
  while (s.length < targetBytes) {
    s += `function f${i}(x) { let acc = ${i}; for (let k = 0; k < x; k++) { acc = (acc * 31 + k) % 1000003; } return acc + ${i % 7}; }\ntable.push(f${i});\n`;
    i++;
  }
  return `${s}export default async function main(args) { let t = 0; for (let j = 0; j < table.length; j += 97) t += table[j](3); return t; }\n`;
}

/** The floor: fresh context + run, directly with isolated-vm in this process, one isolate per core. */
export async function rawFloor(durationMs: number, isolates: number): Promise<{ opsPerSec: number; perIsolateOpsPerSec: number; contextMs: number }> {
  const isos = Array.from({ length: isolates }, () => new ivm.Isolate({ memoryLimit: 50 }));
  let count = 0;
  let ctxTime = 0;
  const end = performance.now() + durationMs;
  await Promise.all(isos.map(async (iso) => {
    const script = await iso.compileScript('({ sum: 2 + 3 })');
    while (performance.now() < end) {
      const t = performance.now();
      const ctx = await iso.createContext();
      ctxTime += performance.now() - t;
      await script.run(ctx, { timeout: 1000, copy: true });
      ctx.release();
      count++;
    }
  }));
  for (const iso of isos) iso.dispose();
  const opsPerSec = count / (durationMs / 1000);
  return { opsPerSec: round(opsPerSec), perIsolateOpsPerSec: round(opsPerSec / isolates), contextMs: round(ctxTime / count) };
}

/**
 * The same floor with isolated-vm's sync calls (createContextSync + runSync, what a single-isolate
 * worker does): sync calls block their thread, so each isolate runs on its own worker thread.
 */
export async function rawFloorSync(durationMs: number, isolates: number): Promise<{ opsPerSec: number; perIsolateOpsPerSec: number; contextMs: number; cpuMsPerOp: number }> {
  const src = `
const { parentPort, workerData } = require('node:worker_threads');
const ivm = require(workerData.ivm);
const iso = new ivm.Isolate({ memoryLimit: 50 });
const script = iso.compileScriptSync('({ sum: 2 + 3 })');
parentPort.once('message', (durationMs) => {
  const end = performance.now() + durationMs;
  let count = 0, ctxTime = 0;
  while (performance.now() < end) {
    const t = performance.now();
    const ctx = iso.createContextSync();
    ctxTime += performance.now() - t;
    script.runSync(ctx, { timeout: 1000, copy: true });
    ctx.release();
    count++;
  }
  iso.dispose();
  parentPort.postMessage({ count, ctxTime });
});`;
  const ivmPath = createRequire(import.meta.url).resolve('isolated-vm');
  const threads = Array.from({ length: isolates }, () => new Worker(src, { eval: true, workerData: { ivm: ivmPath } }));
  try {
    await Promise.all(threads.map((t) => new Promise((r) => t.once('online', r))));
    // This process does nothing else meanwhile: its CPU time is the floor's, GC threads included.
    const cpu0 = process.cpuUsage();
    const res = await Promise.all(threads.map((t) => new Promise<{ count: number; ctxTime: number }>((resolve, reject) => {
      t.once('message', resolve);
      t.once('error', reject);
      t.postMessage(durationMs);
    })));
    const count = res.reduce((n, r) => n + r.count, 0);
    const ctxTime = res.reduce((n, r) => n + r.ctxTime, 0);
    const cpu = process.cpuUsage(cpu0);
    const opsPerSec = count / (durationMs / 1000);
    return {
      opsPerSec: round(opsPerSec), perIsolateOpsPerSec: round(opsPerSec / isolates), contextMs: round(ctxTime / count),
      cpuMsPerOp: round((cpu.user + cpu.system) / 1000 / count),
    };
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

export interface EngineBenchResult {
  machine: { cores: number; node: string };
  rawFreshContextRun: { opsPerSec: number; perIsolateOpsPerSec: number; contextMs: number; isolates: number };
  rawFreshContextRunSync: { opsPerSec: number; perIsolateOpsPerSec: number; contextMs: number; isolates: number };
  engineExecute: { executions: number; concurrency: number; workers: number; opsPerSec: number; p50Ms: number; p99Ms: number; ratioToRaw: number; ratioToRawSync: number };
  /** The same run with Safe and Production callers at once (two memory limits). */
  engineExecuteMixedLevels: { opsPerSec: number; isolatesUsed: number };
  /** Scripts waiting on a tool: they park, and their workers run others meanwhile. */
  engineExecuteToolWait: { toolWaitMs: number; callers: number; opsPerSec: number };
  compile: { sourceBytes: number; uncachedMs: number; cachedMs: number; speedup: number };
  firstVsWarmExecute: { sourceBytes: number; firstRunMs: number; warmRunMs: number; speedup: number };
}

export async function runEngineBench(opts: { durationMs?: number; executions?: number; write?: boolean } = {}): Promise<EngineBenchResult> {
  const cores = availableParallelism();
  const durationMs = opts.durationMs ?? 3000;
  const executions = opts.executions ?? 3000;
  const raw = await rawFloor(durationMs, cores);
  const rawSync = await rawFloorSync(durationMs, cores);

  const engine = createEngine({ workers: cores, maxQueue: 100_000 });
  await engine.start();
  const limits: ExecutionLimits = { memoryBytes: 50 * MiB, wallTimeoutMs: 10_000, cpuShare: 100, maxOutputBytes: 65536, maxReturnBytes: 65536, tools: [] };
  // One caller, as a server's executions always have (sending ahead is per caller).
  const caller = { key: 'bench', limit: 1_000 };
  try {
    // warm-up (fills the compile cache and the per-isolate script caches)
    for (let i = 0; i < 50; i++) await engine.execute({ source: SMALL, arguments: { a: 1, b: i }, limits, caller });
    const concurrency = cores * 2;
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < executions) {
        next++;
        const t = performance.now();
        const r = await engine.execute({ source: SMALL, arguments: { a: 1, b: 2 }, limits, caller });
        lat.push(performance.now() - t);
        if (!r.success) throw new Error(`bench execution failed: ${JSON.stringify(r.error)}`);
      }
    }));
    const elapsed = performance.now() - t0;
    lat.sort((a, b) => a - b);
    const opsPerSec = lat.length / (elapsed / 1000);

    // Safe and Production callers at once (two memory limits): isolates are kept per limit, not remade.
    const mixedLimits = [limits, { ...limits, memoryBytes: 100 * MiB }];
    let mixedNext = 0;
    const isolatesUsed = new Set<string>();
    const tm = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async (_, k) => {
      const mine = { key: `bench-${k % 2 ? 'production' : 'safe'}-${k}`, limit: 1_000 };
      while (mixedNext < executions) {
        mixedNext++;
        const r = await engine.execute({ source: SMALL, arguments: { a: 1, b: 2 }, limits: mixedLimits[k % 2]!, caller: mine });
        if (!r.success) throw new Error(`bench execution failed: ${JSON.stringify(r.error)}`);
        isolatesUsed.add(`${r.metadata.workerId}/${r.metadata.isolateId}`);
      }
    }));
    const mixed = { opsPerSec: round(executions / ((performance.now() - tm) / 1000)), isolatesUsed: isolatesUsed.size };

    // Scripts that wait on a tool (50 ms) park, so a worker runs others meanwhile.
    const waitMs = 50;
    const waitCallers = 32;
    const toolLimits: ExecutionLimits = { ...limits, tools: ['wait'] };
    const onToolCall = async () => { await new Promise((r) => setTimeout(r, waitMs)); return 1; };
    let waited = 0;
    const tw = performance.now();
    const waitEnd = tw + Math.min(durationMs, 3000);
    await Promise.all(Array.from({ length: waitCallers }, async (_, k) => {
      const mine = { key: `bench-wait-${k}`, limit: 1_000 };
      while (performance.now() < waitEnd) {
        const r = await engine.execute({ source: 'export default async (a, ctx) => ctx.tools.wait({})', limits: toolLimits, caller: mine, onToolCall });
        if (!r.success) throw new Error(`bench execution failed: ${JSON.stringify(r.error)}`);
        waited++;
      }
    }));
    const toolWait = { toolWaitMs: waitMs, callers: waitCallers, opsPerSec: round(waited / ((performance.now() - tw) / 1000)) };

    // compile: uncached (fresh source each time) vs cached (same source)
    const big = generateScript(100 * 1024, 'base');
    const uncached: number[] = [];
    for (let i = 0; i < 10; i++) {
      const src = generateScript(100 * 1024, `u${i}-${Math.random()}`);
      const t = performance.now();
      const r = await engine.compile(src);
      uncached.push(performance.now() - t);
      if (r.cacheHit) throw new Error('unexpected cache hit');
    }
    await engine.compile(big);
    const cached: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      const r = await engine.compile(big);
      cached.push(performance.now() - t);
      if (!r.cacheHit) throw new Error('unexpected cache miss');
    }
    uncached.sort((a, b) => a - b);
    cached.sort((a, b) => a - b);

    // execution of the large script: first run (miss: prepare + compile in the worker) vs warm runs
    const bigRun = generateScript(100 * 1024, `run-${Math.random()}`);
    const tf = performance.now();
    const first = await engine.execute({ source: bigRun, limits });
    const firstRunMs = performance.now() - tf;
    if (!first.success) throw new Error(JSON.stringify(first.error));
    const warm: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await engine.execute({ source: bigRun, limits });
      warm.push(performance.now() - t);
    }
    warm.sort((a, b) => a - b);

    const result: EngineBenchResult = {
      machine: { cores, node: process.version },
      rawFreshContextRun: { ...raw, isolates: cores },
      rawFreshContextRunSync: { ...rawSync, isolates: cores },
      engineExecute: {
        executions: lat.length, concurrency, workers: cores, opsPerSec: round(opsPerSec),
        p50Ms: round(pct(lat, 50)), p99Ms: round(pct(lat, 99)), ratioToRaw: round(opsPerSec / raw.opsPerSec),
        ratioToRawSync: round(opsPerSec / rawSync.opsPerSec),
      },
      engineExecuteMixedLevels: mixed,
      engineExecuteToolWait: toolWait,
      compile: { sourceBytes: big.length, uncachedMs: round(pct(uncached, 50)), cachedMs: round(pct(cached, 50)), speedup: round(pct(uncached, 50) / pct(cached, 50)) },
      firstVsWarmExecute: { sourceBytes: bigRun.length, firstRunMs: round(firstRunMs), warmRunMs: round(pct(warm, 50)), speedup: round(firstRunMs / pct(warm, 50)) },
    };
    if (opts.write !== false) {
      const dir = fileURLToPath(new URL('./results/', import.meta.url));
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}engine.json`, `${JSON.stringify(result, null, 2)}\n`);
    }
    return result;
  } finally {
    await engine.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runEngineBench();
  console.log(JSON.stringify(r, null, 2));
}
