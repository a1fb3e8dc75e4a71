// CompileScript and RunScript took any number for language and kind: a language the contract does
// not declare compiled as JavaScript, an unknown kind was detected from the source. Every other enum
// of the contract refuses such a number with INVALID_ARGUMENT naming its field; these do too.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { scriptCallContext } from "../helpers/handler-context.ts";
import { scriptsService } from "../../src/api/scripts.ts";
import { loadConfig } from "../../src/config/load.ts";
import { reasonOf } from "../../src/errors.ts";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";

const fieldOf = (err: unknown) => (err as ConnectError).findDetails(ErrorInfoSchema)[0]?.metadata.field;

function setup() {
  const compiles: unknown[] = [];
  const engine = {
    compile: (_source: string, options: unknown) => (compiles.push(options), Promise.resolve({ cacheKey: "k", cacheHit: true, compileTimeMs: 0, sourceHash: "h", language: "javascript", kind: "expression", diagnostics: [], sourceSize: 1 })),
    execute: () => new Promise(() => {}),
  };
  const svc = scriptsService({ config: loadConfig({ argv: [], env: {} }).config, engine: engine as never, scripts: {} as never, events: { compiled: () => {} } as never });
  const ctx = () => scriptCallContext("runScript");
  const refusal = (p: unknown) => (p as Promise<unknown>).then(
    () => "accepted",
    (err: unknown) => ({ code: (err as ConnectError).code, reason: reasonOf(err), field: fieldOf(err), message: (err as ConnectError).rawMessage }),
  );
  return {
    compiles,
    compile: (context: object) => refusal(svc.compileScript!({ source: "1 + 1", context: { validateOnly: true, ...context } } as never, ctx())),
    run: (compilation: object) => refusal(Promise.race([svc.runScript!({ source: "1 + 1", compilation } as never, ctx()), new Promise((r) => setImmediate(r))])),
  };
}

describe("undeclared enum numbers", () => {
  it("CompileScript: context.language and context.kind", async () => {
    const s = setup();
    expect(await s.compile({ language: 7 })).toEqual({ code: Code.InvalidArgument, reason: "VALIDATION_ERROR", field: "context.language", message: "context.language 7 is not a script language" });
    expect(await s.compile({ kind: 9 })).toEqual({ code: Code.InvalidArgument, reason: "VALIDATION_ERROR", field: "context.kind", message: "context.kind 9 is not a script kind" });
    expect(s.compiles).toEqual([]);
  });

  it("RunScript: compilation.language and compilation.kind", async () => {
    const s = setup();
    expect(await s.run({ language: 3 })).toMatchObject({ code: Code.InvalidArgument, reason: "VALIDATION_ERROR", field: "compilation.language" });
    expect(await s.run({ kind: 9 })).toMatchObject({ code: Code.InvalidArgument, reason: "VALIDATION_ERROR", field: "compilation.kind" });
    expect(s.compiles).toEqual([]);
  });

  it("declared values (and unspecified) still compile as asked", async () => {
    const s = setup();
    expect(await s.compile({ language: 2, kind: 1 })).toBe("accepted");
    expect(await s.compile({})).toBe("accepted");
    await s.run({ language: 1, kind: 2 });
    expect(s.compiles).toEqual([
      expect.objectContaining({ language: "typescript", kind: "module" }),
      expect.objectContaining({ language: "javascript", kind: undefined }),
      expect.objectContaining({ language: "javascript", kind: "expression" }),
    ]);
  });
});
