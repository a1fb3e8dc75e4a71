// Isolates take whole MiB. A memory limit between two (the configuration's or a request's) was rounded
// up: the cap grew, and the error's message named the rounded figure while its ErrorInfo named the
// configured bytes. It is rounded down, and both name the limit enforced.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const MiB = 1048576;
const GROW = "const held = []; for (;;) held.push(new Array(100000).fill(1.5));";
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ toml: `[pool]\nworkers = 1\n[resource_limits]\nmax_memory_bytes = 20000000\n` });
});
afterAll(async () => {
  await server?.stop();
});

describe("a memory limit that is not whole MiB", () => {
  it("from the configuration: rounded down, message and ErrorInfo agree", async () => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const f = await failure(scripts.runScript({ source: GROW }));
    expect([f.code, f.reason, f.metadata.resource, f.metadata.limit]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "memory", String(19 * MiB)]);
    expect(f.err.rawMessage).toMatch(/memory limit of 19 MiB\b/);
  }, 60_000);

  it("from a request: rounded down, never up", async () => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const f = await failure(scripts.runScript({ source: GROW, context: { resourceLimits: { maxMemoryBytes: BigInt(8 * MiB + 1) } } }));
    expect([f.reason, f.metadata.limit]).toEqual(["RESOURCE_EXCEEDED", String(8 * MiB)]);
    expect(f.err.rawMessage).toMatch(/memory limit of 8 MiB\b/);
  }, 60_000);
});
