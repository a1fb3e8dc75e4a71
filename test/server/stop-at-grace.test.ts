// Executions still running at the end of server.shutdown_grace are stopped by the engine there and
// then (not up to 2 s later): their callers get a retryable UNAVAILABLE ENGINE_STOPPED, since no
// worker crashed. The same for Stop and for shutdown (SIGTERM).
import { afterEach, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

// Holds its worker's thread: the worker cannot leave of its own accord while it runs.
const BUSY = "export default () => { const t = Date.now(); while (Date.now() - t < 8000); return 1; }";
let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function runningThenCut(cut: (s: TestServer) => unknown) {
  server = await startServer({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=1s"] });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  await scripts.runScript({ source: "1" });
  const running = failure(scripts.runScript({ source: BUSY })).then((f) => ({ ...f, at: Date.now() }));
  try {
    // Running on the worker, not still queued (a queued one is refused at once, proving nothing here).
    await untilMetrics(scripts, "the busy execution runs", (m) => m.busyIsolates === 1n);
    const t0 = Date.now();
    void cut(server);
    const f = await running;
    return { ...f, afterMs: f.at - t0 };
  } finally {
    await settle([running]);
  }
}

it("Stop: what runs past the grace ends at the grace with ENGINE_STOPPED and RetryInfo", async () => {
  const f = await runningThenCut((s) => clientFor(ScriptService, "grpc-js", s).stop({ reason: "maintenance" }));
  expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
  expect(f.err.rawMessage).toMatch(/end of the grace/);
  expect(f.err.findDetails(RetryInfoSchema)).toHaveLength(1);
  // The 1 s grace, not the grace plus the 2 s a worker gets to leave by itself.
  expect(f.afterMs).toBeLessThan(2600);
});

it("shutdown: what runs past the grace ends at the grace with ENGINE_STOPPED and RetryInfo", async () => {
  const f = await runningThenCut((s) => s.stop());
  expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
  expect(f.err.findDetails(RetryInfoSchema)).toHaveLength(1);
  expect(f.afterMs).toBeLessThan(2600);
});
