// A source of max_source_size travels in one request: the configuration never advertises a source
// limit that server.max_request_bytes would refuse. A key left at its default follows the one set;
// both set and disagreeing stop the server at start, exit 2 with one line naming both keys.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import { exitAtStart } from "../helpers/config-exit.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const load = (...sets: string[]) => loadConfig({ env: {}, argv: sets.flatMap((s) => ["--set", s]) }).config;

describe("max_source_size fits server.max_request_bytes", () => {
  it("refuses both set when a source of max_source_size and 64 KiB besides cannot fit a request, naming both keys", () => {
    expect(() => load(`max_source_size=${16 * MiB}`, `server.max_request_bytes=${16 * MiB}`)).toThrow(
      /^config: max_source_size and server\.max_request_bytes: a source of 16777216 bytes and 65536 bytes for the rest of its request need 16842752, over the 16777216 bytes a request may take/,
    );
    expect(() => load(`max_source_size=${4 * MiB - 64 * KiB + 1}`, `server.max_request_bytes=${4 * MiB}`)).toThrow(/max_source_size and server\.max_request_bytes/);
    expect(load(`max_source_size=${4 * MiB - 64 * KiB}`, `server.max_request_bytes=${4 * MiB}`).maxSourceSize).toBe(4 * MiB - 64 * KiB);
    // A small request cap leaves half of itself for the rest.
    expect(() => load("max_source_size=2049", "server.max_request_bytes=4096")).toThrow(/max_source_size and server\.max_request_bytes/);
    expect(load("max_source_size=2048", "server.max_request_bytes=4096").maxSourceSize).toBe(2048);
  });

  it("a key left at its default follows the other", () => {
    expect(load().maxSourceSize).toBe(1 * MiB);
    expect(load().server.maxRequestBytes).toBe(4 * MiB);
    // A raised source limit raises the request cap to take it, as Connect JSON too (test/doors/json-source-fits.test.ts).
    const raised = load(`max_source_size=${16 * MiB}`);
    expect([raised.maxSourceSize, raised.server.maxRequestBytes]).toEqual([16 * MiB, 32 * MiB + 64 * KiB]);
    // A lowered request cap lowers the source limit it can carry.
    expect(load(`server.max_request_bytes=${512 * KiB}`).maxSourceSize).toBe(448 * KiB);
    expect(load("server.max_request_bytes=4096").maxSourceSize).toBe(2048);
    expect(load(`server.max_request_bytes=${2 * MiB}`).maxSourceSize).toBe(1 * MiB);
  });

  it("the server exits 2 with one line naming both keys", async () => {
    const { code, stderr } = await exitAtStart(["--set", `max_source_size=${16 * MiB}`, "--set", `server.max_request_bytes=${8 * MiB}`]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toMatch(/^scriptengine: config: max_source_size and server\.max_request_bytes: /);
  });

  describe("a server with a raised max_source_size only", () => {
    const server = serverForTests({ args: ["--set", `max_source_size=${6 * MiB}`, "--set", "pool.workers=1"] });

    it("advertises it and compiles a source of that size, past the default request cap", async () => {
      const grpc = clientFor(ScriptService, "grpc-js", server);
      expect((await grpc.getConfig({})).config!.maxSourceSize).toBe(BigInt(6 * MiB));
      const source = "42 //" + "x".repeat(6 * MiB - 5);
      const { script } = await grpc.compileScript({ source, context: { scriptId: "big", name: "big.js" } });
      expect(script!.sourceSize).toBe(BigInt(6 * MiB));
    });
  });
});
