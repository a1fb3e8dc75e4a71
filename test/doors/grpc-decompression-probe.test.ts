// The gRPC door hands a compressed message that does not inflate to its handler by patching each
// grpc-js call's decompressMessage (grpc-decompression.ts). Should grpc-js rename that method or
// change how it refuses, the patch fails on every call and grpc-js answers such messages before
// authentication again: the door probes grpc-js once as it opens and says so in a warn line, as
// its sibling patches do (grpc-server.ts). Before, nothing was logged.
import { createRequire } from "node:module";
import { afterEach, expect, it } from "vitest";
import { grpcJsDecompressesAsExpected } from "../../src/doors/grpc-decompression.ts";
import { openGrpcDoor } from "../../src/doors/grpc-server.ts";
import { createLogger } from "../../src/log.ts";

const calls = createRequire(import.meta.url)("@grpc/grpc-js/build/src/server-interceptors.js") as { BaseServerInterceptingCall: { prototype: Record<string, unknown> } };
const prototype = calls.BaseServerInterceptingCall.prototype;
const installed = prototype.decompressMessage;

afterEach(() => {
  prototype.decompressMessage = installed;
});

/** The warn lines the gRPC door logs as it opens (on a loopback port of its own, closed again). */
async function warnsOpening(): Promise<string[]> {
  const lines: string[] = [];
  const door = await openGrpcDoor("127.0.0.1:0", [], { maxRequestBytes: 65536, idleTimeoutMs: 5000, maxConnections: 0 }, undefined, createLogger("warn", {}, (line) => lines.push(line)));
  await door.close(1000);
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

it("finds grpc-js's decompressMessage and its refusals on the installed grpc-js", async () => {
  expect(typeof installed).toBe("function");
  expect(await grpcJsDecompressesAsExpected()).toBe(true);
  expect((await warnsOpening()).filter((msg) => msg.includes("compressed message"))).toEqual([]);
});

it("says grpc-js changed when the method is gone, or refuses otherwise", async () => {
  prototype.decompressMessage = undefined;
  expect(await grpcJsDecompressesAsExpected()).toBe(false);
  expect(await warnsOpening()).toContain(
    "grpc-js internals changed: on the gRPC port a compressed message that does not inflate, or in an encoding grpc-js lacks, is refused by grpc-js before authentication (INTERNAL or UNIMPLEMENTED, no ErrorInfo)",
  );
  // Still there, but refusing in another shape (an Error with no status code): the patch would let it through.
  prototype.decompressMessage = () => Promise.reject(new Error("Failed to decompress message"));
  expect(await grpcJsDecompressesAsExpected()).toBe(false);
});
