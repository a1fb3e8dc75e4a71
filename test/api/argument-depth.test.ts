// Script arguments nest at most 32 levels of arrays and objects, like return values, on every door
// and encoding (the binary decoders alone would stop near 48 levels, JSON near 98;
// past 48 a binary request is refused as undecodable, without naming the argument).
import { expect, it } from "vitest";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

const nest = (levels: number): JsonValue => {
  let v: JsonValue = "leaf";
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { k: v };
  return v;
};
const DEPTH = "export default (a) => { let d = 0; for (let v = a.v; v && typeof v === 'object'; v = Array.isArray(v) ? v[0] : v.k) d++; return d; }";

it("32 levels reach the script; 33 are INVALID_ARGUMENT naming the argument, on each door and encoding", async () => {
  for (const protocol of ["grpc-js", "connect", "connect-json"] as const) {
    const scripts = clientFor(ScriptService, protocol, server);
    const { result } = await scripts.runScript({ source: DEPTH, context: { arguments: { v: fromJson(ValueSchema, nest(32)) } } });
    expect([protocol, result?.success, result?.returnValue?.kind.value]).toEqual([protocol, true, 32]);
    for (const levels of [33, 48]) {
      const f = await failure(scripts.runScript({ source: DEPTH, context: { arguments: { ok: fromJson(ValueSchema, 1), v: fromJson(ValueSchema, nest(levels)) } } }));
      expect([protocol, levels, f.code, f.reason]).toEqual([protocol, levels, "InvalidArgument", "VALIDATION_ERROR"]);
      expect(f.err.rawMessage).toContain("context.arguments.v: it nests deeper than 32 levels");
      expect(f.err.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("context.arguments.v");
    }
    // Deeper still, a binary request cannot even be decoded: INVALID_ARGUMENT all the same.
    expect((await failure(scripts.runScript({ source: DEPTH, context: { arguments: { v: fromJson(ValueSchema, nest(70)) } } }))).code).toBe("InvalidArgument");
  }
});
