// store.max_versions: compiling a new version removes those older than the latest N; a removed
// version is NOT_FOUND, the kept ones still run, and the script keeps its creation time.
import { expect, it } from "vitest";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const server = serverForTests({ args: ["--set", "store.max_versions=2", "--set", "pool.workers=1"] });

it("keeps the latest store.max_versions versions of a script", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const first = await scripts.compileScript({ source: "export default () => 1", context: { scriptId: "kept" } });
  for (let v = 2; v <= 4; v++) await scripts.compileScript({ source: `export default () => ${v}`, context: { scriptId: "kept" } });
  for (const version of [1, 2]) {
    const f = await failure(scripts.executeScript({ scriptId: "kept", version }));
    expect([f.code, f.reason]).toEqual(["NotFound", "SCRIPT_NOT_FOUND"]);
  }
  expect((await scripts.executeScript({ scriptId: "kept", version: 3 })).result?.returnValue?.kind.value).toBe(3);
  expect((await scripts.executeScript({ scriptId: "kept" })).result?.returnValue?.kind.value).toBe(4);
  const got = (await scripts.getScript({ scriptId: "kept" })).script!;
  expect(got.script?.version).toBe(4);
  expect(timestampMs(got.createdAt!)).toBe(timestampMs(first.script!.compiledAt!));
});
