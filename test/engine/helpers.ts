import { createEngine, type Engine, type EngineOptions, type ExecuteJob, type ExecutionLimits, type ExecutionOutcome } from '../../src/engine/index.ts';
import { WorkerHandle, type WorkerSpawnOptions } from '../../src/engine/supervisor.ts';

export const MiB = 1048576;

export const safeLimits: ExecutionLimits = {
  memoryBytes: 50 * MiB,
  wallTimeoutMs: 3000,
  cpuShare: 100,
  maxOutputBytes: 64 * 1024,
  maxReturnBytes: 64 * 1024,
  tools: [],
};

export async function startEngine(opts: EngineOptions = {}): Promise<Engine> {
  const e = createEngine({ workers: 2, ...opts });
  await e.start();
  return e;
}

export function run(engine: Engine, source: string, extra: Partial<ExecuteJob> = {}, signal?: AbortSignal): Promise<ExecutionOutcome> {
  const { limits, ...rest } = extra;
  return engine.execute({ source, ...rest, limits: { ...safeLimits, ...limits } }, signal);
}

/** The engine still serves ordinary work correctly. */
export async function expectHealthy(engine: Engine): Promise<void> {
  const r = await run(engine, 'export default async function main(a) { return { sum: a.x + a.y } }', { arguments: { x: 2, y: 3 } });
  if (!r.success || JSON.stringify(r.returnValue) !== '{"sum":5}') {
    throw new Error(`engine not healthy after hostile run: ${JSON.stringify(r)}`);
  }
}

/**
 * The value of a run that must succeed; its error, if any, is shown. Its 20 s wall is no subject of
 * any test: runs of a second or two took over 5 s on a loaded two-core machine.
 */
export async function valueOf(engine: Engine, source: string): Promise<unknown> {
  const r = await run(engine, source, { limits: { wallTimeoutMs: 20_000 } as never });
  if (r.error) throw new Error(`expected a value, got ${JSON.stringify(r.error)}`);
  return r.returnValue;
}

/**
 * A run parked on a timer (2.5 s unless told) in a worker an attack shares: it must still answer
 * "neighbour ok". The timer must outlast the attack; a test waits it out, so no longer than that.
 */
export function parkedNeighbour(engine: Engine, timerMs = 2500): Promise<ExecutionOutcome> {
  return run(engine, `new Promise((r) => setTimeout(() => r("neighbour ok"), ${timerMs}))`, { limits: { wallTimeoutMs: 10_000 } as never });
}

/** A single-isolate worker process, spawned (not yet ready) with small defaults, for tests that drive one directly. */
export function spawnWorker(workerId: string, extra: Partial<WorkerSpawnOptions> = {}): WorkerHandle {
  return new WorkerHandle({
    workerId, isolates: 1, recycleAfter: 500, maxOldSpaceMb: 256, testHooks: false, defaultMemoryMb: 32,
    codeCacheBytes: 1 << 20, maxParked: 8, idleSlotMs: 30_000, ...extra,
  });
}
