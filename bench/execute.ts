// ExecuteScript over gRPC on loopback, read as ratios: against a transport-only RPC on the same
// server (HealthCheck) and against the raw in-process rate of "fresh context + run" on the same
// cores (the floor of the isolation promised), with isolated-vm's async calls and with its sync
// calls. Bounded in time; loopback only.
import { createClient } from "@connectrpc/connect";
import { ScriptService } from "../gen/ts/scriptengine/v1/script_service_pb.js";
import { createGrpcJsTransport } from "../clients/ts/src/grpc-js-transport.ts";
import { childPids, drive, machine, processCpuMs, startBenchServer, table, writeResult, type Summary } from "./harness.ts";
import { rawFloor, rawFloorSync } from "./engine.ts";
import { workerAlone } from "./breakdown.ts";
import { availableParallelism } from "node:os";
import { create, toBinary } from "@bufbuild/protobuf";
import { ExecuteScriptRequestSchema } from "../gen/ts/scriptengine/v1/script_service_pb.js";
import { grpcBodyFile, h2load, h2loadAvailable, h2table, type H2loadRow } from "./h2load.ts";

/** floor / (floor + server): the share of the floor's rate left once the server's CPU is added to it. */
const ceiling = (floorMs: number, serverMs: number) => Math.round((floorMs / (floorMs + serverMs)) * 1000) / 1000;

export async function runExecuteBench(seconds = 3) {
  const raw = await rawFloor(seconds * 1000, availableParallelism());
  const rawSync = await rawFloorSync(seconds * 1000, availableParallelism());
  // Where an execution's CPU goes (see breakdown.ts): the floor's own CPU per op, and one real worker alone.
  const breakdown = { floorCpuMsPerOp: rawSync.cpuMsPerOp, workerAlone: await workerAlone(Math.max(1000, seconds * 1500)) };
  const server = await startBenchServer(["--set", "security_level=production"]);
  const rows: Summary[] = [];
  const capacity: H2loadRow[] = [];
  let cpuPerExecution: { serverMs: number; workersMs: number } | undefined;
  try {
    const client = createClient(ScriptService, createGrpcJsTransport(server.grpc));
    await client.compileScript({ source: "export default (args) => ({ sum: args.a + args.b })", context: { scriptId: "bench-sum" } });
    await client.compileScript({ source: "({ sum: 2 + 3 })", context: { scriptId: "bench-expr" } });
    const args = { a: { kind: { case: "numberValue" as const, value: 2 } }, b: { kind: { case: "numberValue" as const, value: 3 } } };
    rows.push(await drive("transport only: HealthCheck (grpc-js)", () => client.healthCheck({}), { seconds, concurrency: 16 }));
    rows.push(await drive("ExecuteScript, expression script (grpc-js)", () => client.executeScript({ scriptId: "bench-expr" }), { seconds, concurrency: 16 }));
    rows.push(await drive("ExecuteScript, module main(args) (grpc-js)", () => client.executeScript({ scriptId: "bench-sum", context: { arguments: args } }), { seconds, concurrency: 16 }));
    // The server's own capacity, with a native load generator instead of a Node client on the same cores.
    if (h2loadAvailable()) {
      const body = grpcBodyFile(toBinary(ExecuteScriptRequestSchema, create(ExecuteScriptRequestSchema, { scriptId: "bench-expr" })));
      capacity.push(h2load("HealthCheck (transport only), h2load", `http://${server.grpc}/scriptengine.v1.ScriptService/HealthCheck`, "grpc", seconds, { connections: 2, streams: 16 }));
      // h2load counts HTTP responses; the engine's own counter says how many executions succeeded.
      // 2 connections x 16 streams stay inside Production's 50 concurrent executions per caller, so
      // nothing is refused; no warm-up, so the engine's counter covers exactly the measured window.
      const before = (await client.getMetrics({})).metrics!.successfulExecutions;
      const workers = childPids(server.pid);
      const cpu = () => ({ server: processCpuMs(server.pid), workers: workers.reduce((t, p) => t + processCpuMs(p), 0) });
      const cpu0 = cpu();
      const row = h2load("ExecuteScript, expression script, h2load", `http://${server.grpc}/scriptengine.v1.ScriptService/ExecuteScript`, "grpc", seconds, { bodyFile: body, connections: 2, streams: 16, warmupSeconds: 0 });
      const cpu1 = cpu();
      const after = (await client.getMetrics({})).metrics!.successfulExecutions;
      const executed = Number(after - before);
      // Where the time goes: CPU per execution in the server process and in the worker processes.
      if (executed > 0 && workers.length > 0) {
        const per = (ms: number) => Math.round((ms / executed) * 1000) / 1000;
        cpuPerExecution = { serverMs: per(cpu1.server - cpu0.server), workersMs: per(cpu1.workers - cpu0.workers) };
      }
      // Count only what the engine says succeeded (h2load counts any HTTP 200, gRPC errors included).
      capacity.push({ ...row, succeeded: executed, failed: Math.max(0, row.succeeded - executed), rps: Math.round(executed / seconds) });
    }
  } finally {
    await server.stop();
  }
  const exec = rows[1].rps;
  return {
    machine: machine(),
    rawFreshContextRun: raw,
    rawFreshContextRunSync: rawSync,
    rows,
    capacity,
    cpuPerExecution,
    breakdown,
    ratios: {
      executeToRaw: Math.round((exec / raw.opsPerSec) * 1000) / 1000,
      executeToRawSync: Math.round((exec / rawSync.opsPerSec) * 1000) / 1000,
      executeToTransport: Math.round((exec / rows[0].rps) * 1000) / 1000,
      ...(capacity.length === 2
        ? {
            h2loadExecuteToRaw: Math.round((capacity[1].rps / raw.opsPerSec) * 1000) / 1000,
            h2loadExecuteToRawSync: Math.round((capacity[1].rps / rawSync.opsPerSec) * 1000) / 1000,
          }
        : {}),
      // What the two costs the floor does not pay allow, read from this run: the ratio h2load would
      // see if every worker cost exactly the floor (the async floor's CPU per op: the cores over its
      // rate) and the server what it cost here (h2load's own share left out, so an upper bound).
      ...(cpuPerExecution
        ? { h2loadCeilingToRaw: ceiling(availableParallelism() * 1000 / raw.opsPerSec, cpuPerExecution.serverMs) }
        : {}),
      // The worker's side alone: the floor's CPU per fresh context + run over one real worker's per execution.
      floorToWorkerCpu: Math.round((breakdown.floorCpuMsPerOp / breakdown.workerAlone.cpuMsPerExec) * 1000) / 1000,
    },
  };
}

if (import.meta.main) {
  const result = await runExecuteBench(Number(process.env.BENCH_SECONDS ?? 3));
  writeResult("execute.json", result);
  console.log(`raw fresh context + run, in process: async calls ${result.rawFreshContextRun.opsPerSec}/s, sync calls ${result.rawFreshContextRunSync.opsPerSec}/s`);
  console.log(table(result.rows));
  if (result.capacity.length) console.log(h2table(result.capacity));
  if (result.cpuPerExecution) console.log("CPU per execution (ms):", result.cpuPerExecution);
  console.log("breakdown:", result.breakdown);
  console.log(result.ratios);
}
