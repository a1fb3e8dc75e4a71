// A script the host answered at its time limit because another execution held its worker's thread
// (heldByAnother) breached nothing of its own: its TIMEOUT publishes no limit_exceeded
// SecurityViolation against its caller, as a timeout of its own does.
import { ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { scriptCallContext } from "../helpers/handler-context.ts";
import { scriptsService } from "../../src/api/scripts.ts";
import { loadConfig } from "../../src/config/load.ts";
import { reasonOf } from "../../src/errors.ts";
import type { ExecutionOutcome } from "../../src/engine/index.ts";

function timedOut(heldByAnother: boolean): ExecutionOutcome {
  return {
    executionId: "e1", success: false, returnValue: undefined, stdout: "", stderr: "", executionTimeMs: 3250,
    error: {
      kind: "timeout", name: "TimeoutError", limit: "wall_clock", stack: "", line: 0, column: 0, ...(heldByAnother && { heldByAnother: true as const }),
      message: `the script exceeded its wall-clock limit of 3000 ms${heldByAnother ? " (its worker's thread was held by another execution when its time ran out; its output could not be collected)" : ""}`,
    },
    usage: { memoryBytes: 0, cpuPercentage: 0, operationsCount: 0, networkIoBytes: 0, fileIoBytes: 0 },
    metadata: { cacheHit: true, isolateId: "", workerId: "w1", queueWaitMs: 0 },
  };
}

async function violationsOf(outcome: ExecutionOutcome): Promise<{ reason: string | undefined; violations: string[] }> {
  const violations: string[] = [];
  const engine = {
    compile: () => Promise.resolve({ cacheKey: "k", cacheHit: true, compileTimeMs: 0, sourceHash: "h", language: "javascript", kind: "expression", diagnostics: [], sourceSize: 1 }),
    execute: () => Promise.resolve(outcome),
  };
  const events = { compiled: () => {}, executed: () => {}, violation: (kind: string) => violations.push(kind) };
  const svc = scriptsService({ config: loadConfig({ argv: [], env: {} }).config, engine: engine as never, scripts: {} as never, events: events as never });
  const err = await (svc.runScript!({ source: "1", context: { timeout: { seconds: 3n, nanos: 0 } } } as never, scriptCallContext("runScript")) as Promise<unknown>).then(() => undefined, (e: unknown) => e);
  expect(err, String(err)).toBeInstanceOf(ConnectError);
  return { reason: reasonOf(err), violations };
}

it("a timeout held behind another execution announces no violation; one of the script's own does", async () => {
  expect(await violationsOf(timedOut(true))).toEqual({ reason: "TIMEOUT", violations: [] });
  expect(await violationsOf(timedOut(false))).toEqual({ reason: "TIMEOUT", violations: ["limit_exceeded"] });
});
