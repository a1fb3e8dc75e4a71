// A return value over execution.max_return_bytes is RESOURCE_EXHAUSTED with ErrorInfo resource
// "output" (documented, kept) and its limit, but named no key: "output" is also the word of the
// stdout/stderr caps, which cut and never fail. Its ErrorInfo names execution.max_return_bytes,
// over its JSON and over its size as a google.protobuf.Value alike.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ toml: `[pool]\nworkers = 1\n[execution]\nmax_return_bytes = 1024\n` });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

it("names execution.max_return_bytes in its ErrorInfo", { timeout: 60_000 }, async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  // 1023 bytes of JSON; then 200 numbers: 601 bytes of JSON, over 1024 as a Value.
  for (const source of ['"x".repeat(1022)', "Array.from({ length: 200 }, () => 1)"]) {
    const f = await failure(scripts.runScript({ source }));
    expect([f.code, f.reason, f.metadata.resource, f.metadata.key, f.metadata.limit], f.err.rawMessage).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "output", "execution.max_return_bytes", "1024"]);
  }
  // At the cap: returned.
  expect((await scripts.runScript({ source: '"x".repeat(1021)' })).result?.success).toBe(true);
});
