// A run whose worker is killed under it is UNAVAILABLE WORKER_CRASHED, "(retryable)": it said so in
// words only. Its ErrorInfo now names the execution, and a RetryInfo gives the short delay after
// which the replaced worker can take the retry.
import { ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EngineError } from "../../src/engine/errors.ts";
import { toServiceError } from "../../src/errors.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { childPids } from "../helpers/procs.ts";
import { startServer } from "../helpers/server.ts";
import { untilMetrics } from "../helpers/until.ts";

const retryMsOf = (err: ConnectError) => {
  const d = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : undefined;
};

it("every WORKER_CRASHED answer carries a RetryInfo", () => {
  const err = toServiceError(new EngineError("WORKER_CRASHED", "worker w1 is gone", { workerId: "w1" }));
  expect(retryMsOf(err)).toBe(100);
});

it("a run whose worker is killed: WORKER_CRASHED with its execution_id and a RetryInfo", async () => {
  const s = await startServer({ toml: `[pool]\nworkers = 1\n` });
  try {
    const scripts = clientFor(ScriptService, "grpc-js", s);
    const executionId = "0b5c8f3e-2a6d-4c1e-9f7a-3d2b1e0c9a88";
    const call = failure(scripts.runScript({ source: "for (;;) {}", context: { executionId } }));
    await untilMetrics(scripts, "the run has started on its worker", (m) => m.busyIsolates === 1n);
    for (const pid of childPids(s.proc.pid!)) process.kill(pid, "SIGKILL");
    const f = await call;
    expect([f.code, f.reason, f.metadata.execution_id]).toEqual(["Unavailable", "WORKER_CRASHED", executionId]);
    expect(retryMsOf(f.err)).toBe(100);
  } finally {
    await s.stop();
  }
}, 60_000);
