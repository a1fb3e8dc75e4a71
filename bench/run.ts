// `make bench`: every benchmark in turn, results in bench/results/, a summary on stdout.
import { machine, table, writeResult } from "./harness.ts";
import { runServerCapacityBench, runTransportBench } from "./transport.ts";
import { h2table } from "./h2load.ts";
import { runExecuteBench } from "./execute.ts";
import { runEngineBench } from "./engine.ts";
import { run as runEventsBench } from "./events.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);

console.log(`# transport (echo-class unary RPC, ${seconds}s each, loopback)`);
const capacity = await runServerCapacityBench(seconds);
const transport = await runTransportBench(seconds);
writeResult("transport.json", { machine: machine(), capacity, clients: transport });
console.log(h2table(capacity));
console.log(table(transport));

console.log(`\n# ExecuteScript over gRPC, beside transport-only and the raw isolate floor`);
const execute = await runExecuteBench(seconds);
writeResult("execute.json", execute);
console.log(`raw fresh context + run, in process: ${execute.rawFreshContextRun.opsPerSec}/s`);
console.log(table(execute.rows));
if (execute.capacity.length) console.log(h2table(execute.capacity));
if (execute.cpuPerExecution) console.log("CPU per execution (ms):", execute.cpuPerExecution);
console.log("floor alone / one worker alone (CPU ms per execution):", execute.breakdown);
console.log(execute.ratios);

console.log(`\n# engine (in process: execute, cached vs uncached compile of ~100 KB)`);
console.log(JSON.stringify(await runEngineBench({ write: true }), null, 2));

console.log(`\n# events`);
await runEventsBench(seconds);
