// ExecuteScript over gRPC on loopback, read as ratios: against a transport-only RPC on the same
// server (HealthCheck) and against the raw in-process rate of "fresh context + run" on the same
// cores (the floor of the isolation promised), with isolated-vm's async calls and with its sync
// calls. Bounded in time; loopback only.
import { createClient } from "@connectrpc/connect";
import { ScriptService } from "../gen/ts/scriptengine/v1/script_service_pb.js";
import { createGrpcJsTransport } from "../clients/ts/src/grpc-js-transport.ts";
import { drive, machine, startBenchServer, table, writeResult, type Summary } from "./harness.ts";
import { rawFloor, rawFloorSync } from "./engine.ts";
import { availableParallelism } from "node:os";

export async function runExecuteBench(seconds = 3) {
  const raw = await rawFloor(seconds * 1000, availableParallelism());
  const rawSync = await rawFloorSync(seconds * 1000, availableParallelism());
  const server = await startBenchServer(["--set", "security_level=production"]);
  const rows: Summary[] = [];
  try {
    const client = createClient(ScriptService, createGrpcJsTransport(server.grpc));
    await client.compileScript({ source: "export default (args) => ({ sum: args.a + args.b })", context: { scriptId: "bench-sum" } });
    await client.compileScript({ source: "({ sum: 2 + 3 })", context: { scriptId: "bench-expr" } });
    const args = { a: { kind: { case: "numberValue" as const, value: 2 } }, b: { kind: { case: "numberValue" as const, value: 3 } } };
    rows.push(await drive("transport only: HealthCheck (grpc-js)", () => client.healthCheck({}), { seconds, concurrency: 16 }));
    rows.push(await drive("ExecuteScript, expression script (grpc-js)", () => client.executeScript({ scriptId: "bench-expr" }), { seconds, concurrency: 16 }));
    rows.push(await drive("ExecuteScript, module main(args) (grpc-js)", () => client.executeScript({ scriptId: "bench-sum", context: { arguments: args } }), { seconds, concurrency: 16 }));
  } finally {
    await server.stop();
  }
  const exec = rows[1].rps;
  return {
    machine: machine(),
    rawFreshContextRun: raw,
    rawFreshContextRunSync: rawSync,
    rows,
    ratios: {
      executeToRaw: Math.round((exec / raw.opsPerSec) * 1000) / 1000,
      executeToRawSync: Math.round((exec / rawSync.opsPerSec) * 1000) / 1000,
      executeToTransport: Math.round((exec / rows[0].rps) * 1000) / 1000,
    },
  };
}

if (import.meta.main) {
  const result = await runExecuteBench(Number(process.env.BENCH_SECONDS ?? 3));
  writeResult("execute.json", result);
  console.log(`raw fresh context + run, in process: async calls ${result.rawFreshContextRun.opsPerSec}/s, sync calls ${result.rawFreshContextRunSync.opsPerSec}/s`);
  console.log(table(result.rows));
  console.log(result.ratios);
}
