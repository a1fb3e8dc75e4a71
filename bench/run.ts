// `make bench`: every benchmark in turn, results in bench/results/, a summary on stdout.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runTransportBench } from "./transport.ts";
import { machine, table, writeResult, ROOT } from "./harness.ts";

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
console.log(`# transport (echo-class unary RPC, ${seconds}s each, loopback)`);
const transport = await runTransportBench(seconds);
writeResult("transport.json", { machine: machine(), rows: transport });
console.log(table(transport));

// Benchmarks of later parts register themselves by existing: bench/<name>.ts exporting `run`.
for (const name of ["engine", "events"]) {
  const file = join(ROOT, "bench", `${name}.ts`);
  if (!existsSync(file)) continue;
  const mod = await import(file);
  if (typeof mod.run === "function") {
    console.log(`\n# ${name}`);
    await mod.run();
  }
}
