// A compressed request message that does not inflate, or in an encoding the door lacks: grpc-js
// decompresses before any handler and answered these itself (INTERNAL "Failed to decompress
// message", UNIMPLEMENTED), no ErrorInfo, before authentication. Now both doors answer alike:
// UNAUTHENTICATED without credentials, then INVALID_ARGUMENT VALIDATION_ERROR or UNIMPLEMENTED
// NOT_IMPLEMENTED. A message over server.max_request_bytes is said in the same words on both.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { RunScriptRequestSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { grpcByHand } from "../helpers/grpc-by-hand.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";

const CAP = 65536;
const server = serverForTests({ toml: principalsToml({ name: "ops", level: "development", permissions: ["admin"] }), args: ["--set", `server.max_request_bytes=${CAP}`] }, { checkExit: false });
const AUTH = { authorization: `Bearer ${tokenOf("ops")}` };
const RUN = "/scriptengine.v1.ScriptService/RunScript";

/** A raw gRPC call of RunScript over h2c to `address`; its grpc-status, message and ErrorInfo reason. */
const grpcCall = (address: string, body: Buffer, headers: Record<string, string>) =>
  grpcByHand(address, RUN, body, headers).then(({ status, message, reason }) => ({ status, message, reason }));

const envelope = (msg: Buffer, flags: number) => {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
};
/** Flagged compressed, and not gzip. */
const NOT_GZIP = envelope(Buffer.from([0xff, 0xff, 0xff]), 1);

const bothDoors = (body: Buffer, headers: Record<string, string>) => Promise.all([grpcCall(server.grpc, body, headers), grpcCall(server.http, body, headers)]);

describe("a compressed request message the door cannot read", () => {
  it("without credentials: UNAUTHENTICATED on both doors, whatever the encoding", async () => {
    for (const encoding of ["gzip", "zstd"]) {
      const [grpc, http] = await bothDoors(NOT_GZIP, { "grpc-encoding": encoding });
      expect([encoding, grpc.status, grpc.reason]).toEqual([encoding, "16", "UNAUTHENTICATED"]);
      expect([encoding, http.status, http.reason]).toEqual([encoding, "16", "UNAUTHENTICATED"]);
    }
  });

  it("gzip that does not inflate: INVALID_ARGUMENT VALIDATION_ERROR in the same words on both doors", async () => {
    const [grpc, http] = await bothDoors(NOT_GZIP, { ...AUTH, "grpc-encoding": "gzip" });
    expect(grpc).toEqual({ status: "3", reason: "VALIDATION_ERROR", message: "the request is not a valid scriptengine.v1.RunScriptRequest: its compressed body is not valid" });
    expect(http).toEqual(grpc);
  });

  it("an encoding the door lacks: UNIMPLEMENTED NOT_IMPLEMENTED on both doors", async () => {
    const [grpc, http] = await bothDoors(NOT_GZIP, { ...AUTH, "grpc-encoding": "zstd" });
    expect([grpc.status, grpc.reason]).toEqual(["12", "NOT_IMPLEMENTED"]);
    expect([http.status, http.reason]).toEqual(["12", "NOT_IMPLEMENTED"]);
    expect(grpc.message).toMatch(/^unknown compression "zstd": supported encodings are /);
  });

  it("valid gzip is still served, its encoding name in any case", async () => {
    const message = Buffer.from(toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, { source: "6 * 7" })));
    const [grpc] = await bothDoors(envelope(gzipSync(message), 1), { ...AUTH, "grpc-encoding": "GZIP" });
    expect(grpc.status).toBe("0");
  });
});

describe("a request message over server.max_request_bytes", () => {
  it("is told in the same words on both doors", async () => {
    const message = Buffer.from(toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, { source: "1 //" + "x".repeat(CAP) })));
    const [grpc, http] = await bothDoors(envelope(message, 0), AUTH);
    expect(grpc).toEqual({ status: "8", reason: "REQUEST_TOO_LARGE", message: `a request message of ${message.length} bytes is larger than server.max_request_bytes (${CAP})` });
    expect(http).toEqual(grpc);
  });
});
