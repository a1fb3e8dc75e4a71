// Errors the protocol layer makes carry an ErrorInfo too (README: every error does): a stream
// ended by its deadline (both doors), an unknown compression, a compressed envelope in a call that
// names no encoding, a missing or extra input message. Compression names are case-insensitive.
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { fromBinary } from "@bufbuild/protobuf";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();

const SUBSCRIBE = "/scriptengine.v1.EventService/Subscribe";
const RUN = "/scriptengine.v1.ScriptService/RunScript";

const envelope = (msg: Buffer, flags = 0) => {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(msg.length, 1);
  return Buffer.concat([head, msg]);
};
const json = (o: unknown) => Buffer.from(JSON.stringify(o));

interface EndStream { error?: { code: string; message: string; details?: { type: string; debug?: { reason?: string } }[] } }

/** A Connect streaming Subscribe; resolves its end-stream message. */
async function connectStream(body: Buffer, headers: Record<string, string> = {}): Promise<EndStream> {
  const res = await fetch(`http://${server.http}${SUBSCRIBE}`, { method: "POST", headers: { "content-type": "application/connect+json", ...headers }, body });
  let buf = Buffer.from(await res.arrayBuffer());
  while (buf.length >= 5) {
    const n = buf.readUInt32BE(1);
    if (buf[0]! & 2) return JSON.parse(buf.subarray(5, 5 + n).toString()) as EndStream;
    buf = buf.subarray(5 + n);
  }
  throw new Error("no end-stream message");
}

const reasonOf = (end: EndStream) => end.error?.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason;

/** A raw gRPC call over h2c; resolves its grpc-status and the ErrorInfo reason in grpc-status-details-bin. */
function grpcCall(address: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<{ status: string; reason?: string }> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  return new Promise((resolve) => {
    const st = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    let status = "";
    let reason: string | undefined;
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      const bin = h["grpc-status-details-bin"];
      if (typeof bin === "string") {
        const details = fromBinary(StatusSchema, Buffer.from(bin, "base64")).details;
        reason = details.filter((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo")).map((d) => fromBinary(ErrorInfoSchema, d.value).reason)[0];
      }
    };
    st.on("response", read);
    st.on("trailers", read);
    st.on("data", () => {});
    st.on("error", () => {});
    st.on("close", () => {
      session.close();
      resolve({ status, reason });
    });
    st.end(body);
  });
}

describe("protocol-layer errors", () => {
  it("a server stream ended by its deadline: TIMEOUT on both doors", async () => {
    const end = await connectStream(envelope(json({})), { "connect-timeout-ms": "300" });
    expect(end.error?.code).toBe("deadline_exceeded");
    expect(reasonOf(end)).toBe("TIMEOUT");
    const grpc = await grpcCall(server.grpc, SUBSCRIBE, envelope(Buffer.alloc(0)), { "grpc-timeout": "300m" });
    expect(grpc).toEqual({ status: "4", reason: "TIMEOUT" });
  });

  it("compression names are case-insensitive; an unknown one is UNIMPLEMENTED with ErrorInfo", async () => {
    const post = (encoding: string) =>
      fetch(`http://${server.http}${RUN}`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": encoding }, body: gzipSync(json({ source: "6 * 7" })) });
    const upper = await post("GZIP");
    expect(upper.status).toBe(200);
    const zstd = await post("zstd");
    const body = (await zstd.json()) as EndStream["error"];
    expect([zstd.status, body?.code]).toEqual([501, "unimplemented"]);
    expect(body?.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason).toBe("NOT_IMPLEMENTED");
    const stream = await connectStream(envelope(json({})), { "connect-content-encoding": "zstd" });
    expect(reasonOf(stream)).toBe("NOT_IMPLEMENTED");
  });

  it("a compressed envelope in a call that names no encoding is INVALID_ARGUMENT, not INTERNAL", async () => {
    const end = await connectStream(envelope(gzipSync(json({})), 1));
    expect(end.error?.code).toBe("invalid_argument");
    expect(reasonOf(end)).toBe("VALIDATION_ERROR");
    const grpc = await grpcCall(server.http, RUN, envelope(gzipSync(Buffer.from([0x0a, 0x01, 0x31])), 1));
    expect(grpc).toEqual({ status: "3", reason: "VALIDATION_ERROR" });
  });

  it("a missing or an extra input message is INVALID_ARGUMENT, not UNIMPLEMENTED", async () => {
    for (const body of [Buffer.alloc(0), Buffer.concat([envelope(json({})), envelope(json({}))])]) {
      const end = await connectStream(body);
      expect(end.error?.code).toBe("invalid_argument");
      expect(reasonOf(end)).toBe("VALIDATION_ERROR");
    }
    const grpc = await grpcCall(server.http, RUN, Buffer.alloc(0));
    expect(grpc).toEqual({ status: "3", reason: "VALIDATION_ERROR" });
  });
});
