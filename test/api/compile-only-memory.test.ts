// CompileScript compiles in a worker's compile-only isolate (128 MiB). A source whose compile ran it
// out of memory was answered INVALID_ARGUMENT COMPILATION_ERROR "Isolate was disposed ... memory
// limit", as if the source did not parse, and the worker's next compile failed "Isolate is already
// disposed" (the disposed isolate was disposed again). It is now the memory breach it is:
// RESOURCE_EXHAUSTED RESOURCE_EXCEEDED naming the memory resource and its limit; the next compile works.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ toml: "max_source_size = 16777216\n[pool]\nworkers = 1\n" });
}, 30_000);
afterAll(async () => { await server?.stop(); }, 30_000);

it("a source whose compile outgrows the compile isolate is RESOURCE_EXHAUSTED (memory); the next compile works", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  // 12.5 MB of function literals: a SharedFunctionInfo each, over 128 MiB of heap to compile (11 MB
  // fits), with the parser's memory outside the heap still under the worker's RSS budget.
  const source = "[" + "function(){},".repeat(12.5e6 / 13) + "0].length";
  const big = failure(scripts.compileScript({ source }));
  // A compile queued behind it in the same isolate is compiled again in a fresh one.
  await new Promise((r) => setTimeout(r, 300));
  const queued = await scripts.compileScript({ source: "'queued behind'" });
  expect(queued.script?.scriptId).toBeTruthy();
  const f = await big;
  expect([f.code, f.reason, f.metadata.resource, f.metadata.limit], f.err.message).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "memory", String(128 * 1048576)]);
  expect(f.err.rawMessage).toMatch(/memory limit of 128 MiB/);

  const ok = await scripts.compileScript({ source: "[1, 2, 3].map((x) => x * 2).join()" });
  expect(ok.script?.scriptId).toBeTruthy();
  const bad = await failure(scripts.compileScript({ source: "1 +" }));
  expect([bad.code, bad.reason]).toEqual(["InvalidArgument", "COMPILATION_ERROR"]);
  expect(server.logs()).not.toMatch(/worker replaced/);
}, 90_000);
