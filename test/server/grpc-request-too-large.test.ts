// A request over server.max_request_bytes on the gRPC port: grpc-js refuses it before any handler
// runs, and the refusal carries the HTTP door's ErrorInfo (REQUEST_TOO_LARGE, resource
// request_bytes), so clients can tell it from a retryable RESOURCE_EXHAUSTED.
import { describe, expect, it } from "vitest";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";

const CAP = 4096;
const server = serverForTests({ args: ["--set", `server.max_request_bytes=${CAP}`] });

/** One gRPC call on a raw HTTP/2 session: the trailers, or the headers of a trailers-only answer. */
function rawCall(body: Buffer, headers: Record<string, string> = {}): Promise<http2.IncomingHttpHeaders> {
  const session = http2.connect(`http://${server.grpc}`);
  return new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/CompileScript", "content-type": "application/grpc", te: "trailers", ...headers });
    req.on("response", (h) => h["grpc-status"] !== undefined && resolve(h));
    req.on("trailers", resolve);
    req.on("data", () => {});
    req.on("error", reject);
    req.end(body);
  }).finally(() => session.close());
}

function framed(message: Buffer, compressed = false): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(compressed ? 1 : 0, 0);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/** CompileScriptRequest { source: text } (field 1, length-delimited). */
function compileRequest(text: string): Buffer {
  const source = Buffer.from(text);
  const varint: number[] = [];
  for (let n = source.length; ; n >>>= 7) {
    if (n < 0x80) { varint.push(n); break; }
    varint.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([0x0a, ...varint]), source]);
}

function errorInfoOf(trailers: http2.IncomingHttpHeaders) {
  const bin = trailers["grpc-status-details-bin"];
  expect(typeof bin).toBe("string");
  const status = fromBinary(StatusSchema, Buffer.from(bin as string, "base64"));
  const any = status.details.find((d) => d.typeUrl.endsWith("google.rpc.ErrorInfo"));
  return any ? anyUnpack(any, ErrorInfoSchema) : undefined;
}

describe("a request over server.max_request_bytes on the gRPC port", () => {
  it("is RESOURCE_EXHAUSTED with ErrorInfo REQUEST_TOO_LARGE, resource request_bytes (grpc-js client)", async () => {
    const err = await clientFor(ScriptService, "grpc-js", server).compileScript({ source: "x".repeat(CAP * 2) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    const ce = err as ConnectError;
    expect(Code[ce.code]).toBe(Code[Code.ResourceExhausted]);
    const info = ce.findDetails(ErrorInfoSchema)[0];
    expect(info).toMatchObject({ reason: "REQUEST_TOO_LARGE", domain: "scriptengine.v1", metadata: { resource: "request_bytes" } });
    // The connection and the server are unharmed.
    expect((await clientFor(ScriptService, "grpc-js", server).healthCheck({})).health?.status).toBe(1);
  });

  it("is refused by its length prefix alone, with the same ErrorInfo, before its body arrives", async () => {
    // The prefix claims a message 256 times the cap; only a few bytes of it are ever sent.
    const head = Buffer.alloc(5);
    head.writeUInt32BE(CAP * 256, 1);
    const trailers = await rawCall(Buffer.concat([head, Buffer.alloc(16)]));
    expect(trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
    expect(errorInfoOf(trailers)).toMatchObject({ reason: "REQUEST_TOO_LARGE", domain: "scriptengine.v1", metadata: { resource: "request_bytes" } });
  });

  it("a compressed message that inflates past the cap gets the same ErrorInfo", async () => {
    const small = gzipSync(compileRequest("x".repeat(CAP * 4)));
    expect(small.length).toBeLessThan(CAP);
    const trailers = await rawCall(framed(small, true), { "grpc-encoding": "gzip" });
    expect(trailers["grpc-status"]).toBe(String(Code.ResourceExhausted));
    expect(errorInfoOf(trailers)).toMatchObject({ reason: "REQUEST_TOO_LARGE", metadata: { resource: "request_bytes" } });
  });

  it("a request under the cap is served as before", async () => {
    const res = await clientFor(ScriptService, "grpc-js", server).compileScript({ source: "export default () => 1" });
    expect(res.script?.scriptId).toBeTruthy();
  });
});
