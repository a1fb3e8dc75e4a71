// ScriptCompiled is every CompileScript's outcome once it reaches the compiler, but one whose
// source compiled and that the store then refused (store.max_bytes here; a full disk alike)
// published nothing. It now publishes success false, saying the script was compiled but not stored.
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { firstEventDuring } from "../helpers/events.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1", "--set", "store.max_bytes=100"] });

it("a compile the store refuses publishes ScriptCompiled with success false", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  let refused: Awaited<ReturnType<typeof failure>> | undefined;
  const e = await firstEventDuring(server, "script_compiled", {}, async () => {
    refused = await failure(scripts.compileScript({ source: `export default () => 1; // ${"x".repeat(200)}`, context: { scriptId: "big" } }));
  });
  expect([refused?.code, refused?.reason]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED"]);
  expect(e.event.case).toBe("scriptCompiled");
  if (e.event.case !== "scriptCompiled") return;
  expect([e.event.value.scriptId, e.event.value.success]).toEqual(["big", false]);
  expect(e.event.value.error).toMatch(/^compiled, but not stored: /);
}, 30_000);
