// ScriptCompiled is every CompileScript's outcome: one that stores, one that only validates, and
// one whose source does not compile each publish it, with the compilation's measured duration
// (a failed one reported 0 s; a validate-only one published nothing).
import { describe, expect, it } from "vitest";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { firstEventDuring } from "../helpers/events.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

describe("ScriptCompiled", () => {
  const compiled = async (scriptId: string, source: string, validateOnly: boolean) => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const e = await firstEventDuring(server, "script_compiled", {}, () => scripts.compileScript({ source, context: { scriptId, validateOnly } }).catch(() => {}));
    if (e.event.case !== "scriptCompiled") throw new Error(`not a ScriptCompiled: ${e.event.case}`);
    const v = e.event.value;
    return { scriptId: v.scriptId, success: v.success, error: v.error, measured: durationMs(v.duration!) > 0 };
  };

  it("is published by a stored compile, a validate-only one and a failed one, each with its duration", async () => {
    expect(await compiled("stored", "export default () => 1", false)).toEqual({ scriptId: "stored", success: true, error: undefined, measured: true });
    expect(await compiled("broken", "export default (", false)).toEqual({ scriptId: "broken", success: false, error: "Unexpected end of input", measured: true });
    expect(await compiled("checked", "export default () => 2", true)).toEqual({ scriptId: "checked", success: true, error: undefined, measured: true });
    expect(await compiled("broken", "export default (", true)).toEqual({ scriptId: "broken", success: false, error: "Unexpected end of input", measured: true });
  }, 30_000);
});
