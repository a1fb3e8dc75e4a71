// Stop (and shutdown) refuse at once the calls waiting for a compiler, as they refuse queued
// executions: a RunScript of a new source is queued as far as its caller can tell, and is told it
// did not start (started "false"); a CompileScript is told nothing was stored, not that an execution
// stopped. They were held until a worker freed up, or, past the grace, told "the execution was
// stopped at the end of the grace" as the runs really cut there were.
// The one worker is held by a script running past the grace; each step waits for what the server reports.
import { afterEach, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { settle, untilMetrics } from "../helpers/until.ts";

// Holds its worker's thread past the grace: compiles wait behind it.
const BUSY = "export default () => { const t = Date.now(); while (Date.now() - t < 8000); return 1; }";
let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function waitersRefused(stop: (s: TestServer) => unknown) {
  server = await startServer({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=1s"] });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const busy = failure(scripts.runScript({ source: BUSY }));
  const held: Promise<unknown>[] = [busy];
  try {
    await untilMetrics(scripts, "the busy execution runs", (m) => m.busyIsolates === 1n);
    const run = failure(scripts.runScript({ source: "export default () => 'waits'" }));
    const compile = failure(scripts.compileScript({ source: "export default () => 'waits too'", context: { scriptId: "waits" } }));
    held.push(run, compile);
    await untilMetrics(scripts, "both wait for the compiler", (m) => m.compileQueueLength === 2n);
    void stop(server);
    const [r, c, b] = await Promise.all([run, compile, busy]);
    return { run: r, compile: c, busy: b };
  } finally {
    await settle(held);
  }
}

function expectRefusedAsQueued({ run, compile, busy }: Awaited<ReturnType<typeof waitersRefused>>) {
  expect([run.code, run.reason, run.metadata.started]).toEqual(["Unavailable", "ENGINE_STOPPED", "false"]);
  expect(run.err.rawMessage).toBe("the engine is stopping; the execution did not start");
  expect(run.err.findDetails(RetryInfoSchema)).toHaveLength(1);
  expect([compile.code, compile.reason, compile.metadata.script_id]).toEqual(["Unavailable", "ENGINE_STOPPED", "waits"]);
  expect(compile.err.rawMessage).toBe("the engine is stopping; the script was not stored");
  expect(compile.err.findDetails(RetryInfoSchema)).toHaveLength(1);
  // Only the run that did start is cut at the grace's end.
  expect([busy.reason, busy.err.rawMessage]).toEqual(["ENGINE_STOPPED", expect.stringMatching(/end of the grace/)]);
}

it("Stop refuses a RunScript and a CompileScript waiting for a compiler at once, as queued work", async () => {
  expectRefusedAsQueued(await waitersRefused((s) => clientFor(ScriptService, "grpc-js", s).stop({ reason: "maintenance" })));
  // Nothing compiled for the refused CompileScript was stored.
  const scripts = clientFor(ScriptService, "grpc-js", server!);
  await scripts.start({});
  expect((await failure(scripts.getScript({ scriptId: "waits" }))).reason).toBe("SCRIPT_NOT_FOUND");
}, 60_000);

it("shutdown refuses them alike", async () => {
  expectRefusedAsQueued(await waitersRefused((s) => s.stop()));
}, 60_000);
