// A missing version of an existing script: GetScript and ExecuteScript both say which version is
// not found (not that the script is), and carry it in ErrorInfo beside script_id.
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

it("names the version on both RPCs and both doors; a missing script still names none", async () => {
  await clientFor(ScriptService, "grpc-js", server).compileScript({ source: "export default () => 1", context: { scriptId: "s1" } });
  for (const protocol of ["grpc-js", "connect"] as const) {
    const scripts = clientFor(ScriptService, protocol, server);
    for (const call of [scripts.getScript({ scriptId: "s1", version: 9 }), scripts.executeScript({ scriptId: "s1", version: 9 })]) {
      const f = await failure(call);
      expect([f.code, f.reason, f.err.rawMessage]).toEqual(["NotFound", "SCRIPT_NOT_FOUND", "script s1 version 9 not found"]);
      expect(f.metadata).toEqual({ script_id: "s1", version: "9" });
    }
    const gone = await failure(scripts.getScript({ scriptId: "nope" }));
    expect([gone.err.rawMessage, gone.metadata]).toEqual(["script nope not found", { script_id: "nope" }]);
  }
});
