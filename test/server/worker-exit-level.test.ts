// A worker's death blamed on what caused it, costing no one else anything, is the caller's doing and
// logged at info, as one blamed on an execution's own limit is (worker-crash-log.test.ts). A
// compilation that exhausted its compile isolate's heap (compile-heap-blame.test.ts: blamedCompile,
// not counted toward health) was logged at warn. A death that failed neighbours, or whose cause is
// unknown, stays a warning.
import { expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { logWorkerExit } from "../../src/server.ts";
import type { WorkerExit } from "../../src/engine/index.ts";

const exit = (e: Partial<WorkerExit>): WorkerExit => ({ workerId: "w1", pid: 1, reason: "ran out of memory", failed: 0, blamed: [], requeued: 0, rerun: 0, ...e });

function levelsOf(exits: WorkerExit[]): [string, string][] {
  const lines: string[] = [];
  const log = createLogger("debug", {}, (l) => lines.push(l));
  for (const e of exits) logWorkerExit(log, e);
  return lines.map((l) => JSON.parse(l) as { level: string; msg: string }).map((l) => [l.level, l.msg]);
}

it("a death blamed on a compilation alone is info, like one blamed on an execution's own limit", () => {
  const compile = exit({ reason: "ran out of memory (a compilation exhausted its compile isolate's heap)", blamedCompile: true });
  const script = exit({ blamed: [{ executionId: "e1", kind: "memory_limit" }] });
  expect(levelsOf([compile, script])).toEqual([["info", "worker replaced"], ["info", "worker replaced"]]);
});

it("a death that failed neighbours, or with no culprit, is a warning; a shutdown says nothing", () => {
  expect(levelsOf([
    exit({ blamedCompile: true, failed: 1 }),
    exit({ blamed: [{ executionId: "e1", kind: "memory_limit" }], failed: 2 }),
    exit({ reason: "crashed" }),
    exit({ reason: "shut down" }),
  ])).toEqual([["warn", "worker replaced"], ["warn", "worker replaced"], ["warn", "worker replaced"]]);
});
