import { createEngine, type Engine, type EngineOptions, type ExecuteJob, type ExecutionLimits, type ExecutionOutcome } from '../../src/engine/index.ts';

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
