// RunScript with a new source waits for a compiler (on a busy pool, behind a running script). The
// call's deadline and a cancel end the call then, as they do CompileScript's and a queued
// execution's: the caller was held until the compiler was free (seconds), past its deadline.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { scriptCallContext } from "../helpers/handler-context.ts";
import { scriptsService } from "../../src/api/scripts.ts";
import { loadConfig } from "../../src/config/load.ts";
import { reasonOf } from "../../src/errors.ts";

/** RunScript over an engine whose compile answers only when `compiled` is called. */
function setup() {
  let compiled = () => {};
  const executed: unknown[] = [];
  const engine = {
    compile: () => new Promise((resolve) => (compiled = () => resolve({ cacheKey: "k", cacheHit: false, compileTimeMs: 1 }))),
    execute: (job: unknown) => (executed.push(job), new Promise(() => {})),
  };
  const events = { compiled: () => {} };
  const svc = scriptsService({ config: loadConfig({ argv: [], env: {} }).config, engine: engine as never, scripts: {} as never, events: events as never });
  const ctx = scriptCallContext("runScript");
  const call = (svc.runScript!({ source: "4 + 2" } as never, ctx) as Promise<unknown>).then(
    () => "answered",
    (err: unknown) => ({ code: (err as ConnectError).code, reason: reasonOf(err) }),
  );
  // What the call has become once what the abort set off has run (the compile still pending).
  const settled = () => Promise.race([call, new Promise((r) => setImmediate(() => r("still waiting for the compiler")))]);
  return { ctx, settled, executed, compiled: () => compiled() };
}

describe("RunScript whose source waits for a compiler", () => {
  it("its deadline ends the call at once with TIMEOUT; the compile, when done, runs nothing", async () => {
    const s = setup();
    s.ctx.abort(new ConnectError("the deadline passed", Code.DeadlineExceeded));
    expect(await s.settled()).toEqual({ code: Code.DeadlineExceeded, reason: "TIMEOUT" });
    s.compiled();
    await new Promise((r) => setImmediate(r));
    expect(s.executed).toEqual([]);
  });

  it("a cancel ends the call at once with CANCELLED", async () => {
    const s = setup();
    s.ctx.abort(new Error("cancelled by the caller"));
    expect(await s.settled()).toEqual({ code: Code.Canceled, reason: "CANCELLED" });
    s.compiled();
    await new Promise((r) => setImmediate(r));
    expect(s.executed).toEqual([]);
  });

  it("a call still waiting runs its script once compiled", async () => {
    const s = setup();
    expect(await s.settled()).toBe("still waiting for the compiler");
    s.compiled();
    await new Promise((r) => setImmediate(r));
    expect(s.executed).toHaveLength(1);
  });
});
