// A CompileScript whose caller left (a cancel, its deadline) no longer counts against pool.max_queue:
// it counted until its worker freed up, so callers retrying with short deadlines on a busy server
// filled the compile queue with compiles nobody waited for, and every other caller's new source was
// refused QUEUE_FULL. At its deadline's margin the server answers it TIMEOUT with ErrorInfo (as
// RunScript), not leaving the caller to its own timer's bare DEADLINE_EXCEEDED.
// The one worker is held by a spinning script; each step waits for what the server reports.
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1", "--set", "pool.max_queue=2"] });

const SPIN = { source: "for (;;) {}", context: { timeout: durationFromMs(120_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } };

it("compiles whose callers left leave the compile queue: a new source is admitted, and compiles once a worker frees", { timeout: 90_000 }, async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const spin = new AbortController();
  const held: Promise<unknown>[] = [scripts.runScript(SPIN, { signal: spin.signal }).catch(() => undefined)];
  try {
    await untilMetrics(scripts, "the spinning script holds the worker", (m) => m.busyIsolates === 1n);
    const cancels = new AbortController();
    const cancelled = scripts.compileScript({ source: "export default () => 'cancelled'", context: { scriptId: "left-cancelled" } }, { signal: cancels.signal });
    const late = scripts.compileScript({ source: "export default () => 'late'", context: { scriptId: "left-late" } }, { timeoutMs: 1500 });
    held.push(cancelled, late);
    await untilMetrics(scripts, "both compiles wait for the worker", (m) => m.compileQueueLength === 2n);
    cancels.abort();
    expect((await failure(cancelled)).code).toBe("Canceled");
    // Answered by the server at its margin: ErrorInfo TIMEOUT, saying nothing was stored.
    const f = await failure(late);
    expect([f.code, f.reason, f.metadata.script_id]).toEqual(["DeadlineExceeded", "TIMEOUT", "left-late"]);
    expect(f.err.rawMessage).toMatch(/^the call's deadline ran out before its source was compiled \(after \d+ ms\): nothing was stored/);

    await untilMetrics(scripts, "both compiles are counted as abandoned", (m) => m.compileQueueLength === 0n && m.abandonedCompilations === 2n);
    // Room for a caller that waits: admitted, not QUEUE_FULL.
    const staying = scripts.compileScript({ source: "export default () => 'stays'", context: { scriptId: "stays" } });
    held.push(staying);
    await untilMetrics(scripts, "the new compile waits", (m) => m.compileQueueLength === 1n);
    spin.abort(); // its worker is replaced to stop it; the waiting compile compiles on the next
    expect((await staying).script?.version).toBe(1);
    for (const gone of ["left-cancelled", "left-late"]) expect((await failure(scripts.getScript({ scriptId: gone }))).reason).toBe("SCRIPT_NOT_FOUND");
    await untilMetrics(scripts, "nothing is left counted", (m) => m.compileQueueLength === 0n && m.abandonedCompilations === 0n);
  } finally {
    spin.abort();
    await settle(held);
  }
});
