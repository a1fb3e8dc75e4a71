// GetMetrics counts the executions and compilations refused before they ran (QUEUE_FULL, a caller's
// concurrency limit): they are in neither total_executions nor success_rate, so a server refusing
// work showed 100 % success and nothing else. Each step waits for what the server reports.
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

// One worker, nothing queued, nothing parked: while it runs a script, the next execution is refused.
const server = serverForTests({ args: ["--set", "pool.workers=1", "--set", "pool.max_queue=0", "--set", "pool.max_parked=0"] }, { checkExit: false });

// Holds the one worker's thread until its worker is replaced to stop it.
const BUSY = { source: "while (true) {}", context: { timeout: durationFromMs(120_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } };

it("refused executions and compilations are counted apart from the executions that ran", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  // Compiled first: its execution needs no compiler (a new source would wait behind the busy script).
  await scripts.compileScript({ source: "1 + 1", context: { scriptId: "stored" } });
  const busy = new AbortController();
  const held = scripts.runScript(BUSY, { signal: busy.signal }).catch(() => {});
  const waiting: Promise<unknown>[] = [];
  try {
    await untilMetrics(scripts, "the busy script runs", (m) => m.busyIsolates === 1n);
    const refused = await failure(scripts.executeScript({ scriptId: "stored" }));
    expect([refused.code, refused.reason]).toEqual(["ResourceExhausted", "QUEUE_FULL"]);
    // One compilation waits behind the busy script (max_queue 0 still lets one compile wait); the next new source is refused.
    waiting.push(scripts.compileScript({ source: "export default () => 'waits'" }));
    await untilMetrics(scripts, "a compilation waits", (m) => m.compileQueueLength === 1n);
    const compileRefused = await failure(scripts.compileScript({ source: "export default () => 'refused'" }));
    expect([compileRefused.code, compileRefused.reason, compileRefused.metadata.resource]).toEqual(["ResourceExhausted", "QUEUE_FULL", "compile_queue"]);
    const m = (await scripts.getMetrics({})).metrics!;
    expect([m.rejectedExecutions, m.rejectedCompilations, m.totalExecutions]).toEqual([1n, 1n, 0n]);
  } finally {
    busy.abort();
    await settle([held, ...waiting]);
  }
}, 60_000);
