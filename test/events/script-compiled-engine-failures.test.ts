// ScriptCompiled is published by every CompileScript that reaches the compiler, success or not
// (events.proto). Only a syntax error or a success published one: a compile that reached the
// compiler and failed otherwise (out of the compiler's memory, past its deadline, its workers lost
// after the retries) published nothing, nor did one whose caller had given up before it failed so.
// Those now publish success false with the failure; one refused before it reached a compiler (a
// full compile queue, a stopping engine) still publishes none.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { scriptCallContext } from "../helpers/handler-context.ts";
import { scriptsService } from "../../src/api/scripts.ts";
import { loadConfig } from "../../src/config/load.ts";
import { EngineError } from "../../src/engine/index.ts";

type Compiled = [scriptId: string, success: boolean, ms: number, error?: string];

/** CompileScript over an engine whose compile fails as `fail` says, once `release` is called. */
function setup(fail: () => EngineError) {
  const compiled: Compiled[] = [];
  let release = () => {};
  const engine = { compile: () => new Promise((_, reject) => (release = () => reject(fail()))) };
  const events = { compiled: (...a: Compiled) => void compiled.push(a) };
  const svc = scriptsService({ config: loadConfig({ argv: [], env: {} }).config, engine: engine as never, scripts: {} as never, events: events as never });
  const ctx = scriptCallContext("compileScript");
  const call = svc.compileScript!({ source: "1 + 1", context: { scriptId: "s1" } } as never, ctx) as Promise<unknown>;
  return { compiled, ctx, call, release: () => release() };
}

const REACHED = [
  ["RESOURCE_EXCEEDED", () => new EngineError("RESOURCE_EXCEEDED", "compiling the source exceeded the compiler's memory limit of 128 MiB", { resource: "memory", limit: 128 * 1024 * 1024 })],
  ["TIMEOUT", () => new EngineError("TIMEOUT", "the compilation was not done within 30000 ms")],
  ["WORKER_CRASHED", () => new EngineError("WORKER_CRASHED", "worker w1 ran out of memory; the execution did not complete (retryable)")],
] as const;

describe("a compile that reached the compiler and failed other than by a syntax error", () => {
  for (const [reason, fail] of REACHED) {
    it(`${reason}: the call fails with it and one ScriptCompiled says so`, async () => {
      const s = setup(fail);
      s.release();
      await expect(s.call).rejects.toMatchObject({ reason });
      expect(s.compiled.map(([id, ok, , error]) => [id, ok, error])).toEqual([["s1", false, fail().message]]);
    });

    it(`${reason} after its caller gave up: one ScriptCompiled says so`, async () => {
      const s = setup(fail);
      s.ctx.abort(new Error("cancelled by the caller"));
      await expect(s.call).rejects.toBeDefined();
      expect(s.compiled).toEqual([]);
      s.release();
      // The abandoned compile's end is published when it settles.
      await new Promise((r) => setImmediate(r));
      expect(s.compiled.map(([id, ok, , error]) => [id, ok, error])).toEqual([["s1", false, fail().message]]);
    });
  }
});

describe("a compile refused before it reached a compiler", () => {
  for (const reason of ["QUEUE_FULL", "ENGINE_STOPPED"] as const) {
    it(`${reason}: no ScriptCompiled`, async () => {
      const s = setup(() => new EngineError(reason, `refused: ${reason}`));
      s.release();
      await expect(s.call).rejects.toMatchObject({ reason });
      expect(s.compiled).toEqual([]);
    });
  }
});
