// A call whose deadline runs out before its execution starts (queued behind busy workers, or its new
// source waiting for a compiler) is answered at the server's margin before the deadline, as a running
// one is with its own TIMEOUT: DEADLINE_EXCEEDED TIMEOUT saying it never ran (metadata started
// "false"), and the engine's signal drops it unstarted. Answered only at the deadline, a gRPC caller
// had given up already and could not tell "never ran, safe to retry" from "ran and timed out".
import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { scriptCallContext } from "../helpers/handler-context.ts";
import { scriptsService } from "../../src/api/scripts.ts";
import { loadConfig } from "../../src/config/load.ts";
import { EngineError, type ExecuteJob } from "../../src/engine/index.ts";

/** Fails as the pool does once the call's signal aborts. */
const untilAborted = (signal: AbortSignal | undefined, what: string) =>
  new Promise<never>((_, reject) => signal?.addEventListener("abort", () => reject(new EngineError("CANCELLED", what)), { once: true }));

/** RunScript with a 300 ms deadline over an engine that holds the call in its compile (`compiling`), its queue, or runs it (`started`). */
async function call(stage: "compiling" | "queued" | "started") {
  const seen: { engineAbortedBeforeDeadline?: boolean } = {};
  let ctx: ReturnType<typeof createHandlerContext> | undefined;
  const noteAbort = (signal?: AbortSignal) => signal?.addEventListener("abort", () => (seen.engineAbortedBeforeDeadline = !ctx!.signal.aborted), { once: true });
  const engine = {
    compile: (_source: string, _options: unknown, signal?: AbortSignal) => {
      if (stage !== "compiling") return Promise.resolve({ cacheKey: "k", cacheHit: true, compileTimeMs: 0 });
      noteAbort(signal);
      return untilAborted(signal, "cancelled while its source waited to be compiled");
    },
    execute: (job: ExecuteJob, signal?: AbortSignal) => {
      noteAbort(signal);
      if (stage === "started") job.onDispatch?.({ queueWaitMs: 0, cacheHit: true, workerId: "w1" });
      return untilAborted(signal, stage === "started" ? "the execution was cancelled" : "cancelled while waiting in the queue");
    },
  };
  const events = { compiled: () => {}, executed: () => {}, violation: () => {} };
  const svc = scriptsService({ config: loadConfig({ argv: [], env: {} }).config, engine: engine as never, scripts: {} as never, events: events as never });
  ctx = scriptCallContext("runScript", { protocolName: "grpc", timeoutMs: 300 });
  const err = await (svc.runScript!({ source: "1 + 1" } as never, ctx) as Promise<unknown>).then(
    () => expect.unreachable("the call was answered"),
    (e: unknown) => e as ConnectError,
  );
  const answeredBeforeDeadline = !ctx.signal.aborted;
  // An engine error (the started one's) becomes the service's error later, in the service's wrapper.
  const metadata = err instanceof ConnectError ? (err.findDetails(ErrorInfoSchema)[0]?.metadata ?? {}) : {};
  return { err, metadata, answeredBeforeDeadline, ...seen };
}

it("queued: answered before the deadline, TIMEOUT saying it never ran; the engine's signal drops it", async () => {
  const r = await call("queued");
  expect(r.err.code).toBe(Code.DeadlineExceeded);
  expect(r.err.rawMessage).toMatch(/^the call's deadline ran out before the script started \(after \d+ ms waiting for a busy worker\): it never ran, so it is safe to retry$/);
  expect(r.metadata).toMatchObject({ started: "false", script_id: "adhoc" });
  expect(r.answeredBeforeDeadline).toBe(true);
  expect(r.engineAbortedBeforeDeadline).toBe(true);
});

it("a new source waiting for a compiler: the same answer, and its compile is left", async () => {
  const r = await call("compiling");
  expect(r.err.code).toBe(Code.DeadlineExceeded);
  expect(r.metadata.started).toBe("false");
  expect(r.answeredBeforeDeadline).toBe(true);
  expect(r.engineAbortedBeforeDeadline).toBe(true);
});

it("started: its own limits answer it (not cut at the margin), and it is not said never to have run", async () => {
  const r = await call("started");
  expect(r.engineAbortedBeforeDeadline).toBe(false);
  expect(r.metadata.started).toBeUndefined();
});
