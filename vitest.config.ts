import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "clients/ts/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Integration tests start real servers with worker processes, and spend much of their time waiting on
    // them (deadlines, restarts, timers): one and a half files per core keeps the CPU busy without piling
    // on (two cores, measured: 3 files at once kept it ~90 % busy and took 940 s, where 2 took 1020-1140 s).
    maxWorkers: Math.round(availableParallelism() * 1.5), // vitest caps a "150%" at the core count
  },
});
