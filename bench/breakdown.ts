// Where an execution's CPU goes, measured with the real pieces rather than estimated: one real
// worker process (supervisor.ts + worker.ts) driven directly at its own pace, with no server and no
// load generator on the cores: what the isolate, the prelude, IPC and the worker's event loop cost
// per execution. Compared with the floor's own CPU per "fresh context + run" (engine.ts,
// rawFloorSync) and with the CPU per execution under h2load (execute.ts), the rest is the server
// and the contention of a saturated machine. Bounded in time; no network.
import { processCpuMs } from "./harness.ts";
import { WorkerHandle } from "../src/engine/supervisor.ts";
import type { ExecMsg } from "../src/engine/protocol.ts";

const round = (n: number) => Math.round(n * 1000) / 1000;

/** One real worker process, two executions in flight (as sending ahead keeps it): CPU per execution. */
export async function workerAlone(executions: number): Promise<{ cpuMsPerExec: number; execsPerSec: number }> {
  const w = new WorkerHandle({ workerId: "bench", isolates: 1, recycleAfter: 500, maxOldSpaceMb: 256, testHooks: false, defaultMemoryMb: 50, codeCacheBytes: 64 * 1048576, maxParked: 0, idleSlotMs: 30_000 });
  await w.ready;
  const key = "bench-expr";
  let id = 0;
  const msg = (): ExecMsg => {
    const first = id === 0;
    id++;
    return {
      t: "exec", id, code: first ? "({ sum: 2 + 3 })" : "", codeRef: first ? undefined : true, compiled: true, language: "javascript", kind: "expression",
      filename: "bench-expr.js", cacheKey: key, tools: [], profile: false,
      payload: JSON.stringify({ args: {}, env: {}, user: { userId: "bench" }, tools: [], executionId: `e-${id}`, scriptId: key, maxOutputBytes: 1048576, maxReturnBytes: 1048576, maxToolPayloadBytes: 1048576 }),
      limits: { memoryMb: 50, wallTimeoutMs: 5000, cpuBudgetMs: 5000, maxOutputBytes: 1048576, maxReturnBytes: 1048576, maxReturnValueBytes: 1048576, maxToolPayloadBytes: 1048576, maxToolCalls: 10 },
    };
  };
  try {
    const warmup = 300;
    let done = 0;
    let c0 = 0;
    let t0 = 0;
    await new Promise<void>((resolve, reject) => {
      const next = (queued: boolean) => {
        w.exec(msg(), 2000, () => {}, { queued }).then((r) => {
          if (!r.outcome.ok) return reject(new Error(`worker bench failed: ${JSON.stringify(r.outcome.error)}`));
          done++;
          if (done === warmup) { c0 = processCpuMs(w.pid!); t0 = performance.now(); }
          if (done === warmup + executions) return resolve();
          if (id < warmup + executions + 1) next(true);
        }, reject);
      };
      next(false);
      next(true);
    });
    const cpu = processCpuMs(w.pid!) - c0;
    return { cpuMsPerExec: round(cpu / executions), execsPerSec: Math.round((executions / (performance.now() - t0)) * 1000) };
  } finally {
    await w.shutdown();
  }
}
