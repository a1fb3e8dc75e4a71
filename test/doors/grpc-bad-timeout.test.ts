// grpc-js answered a grpc-timeout header it cannot parse with INTERNAL (a server fault, which
// clients may report or retry as one) and no ErrorInfo; it is the caller's mistake:
// INVALID_ARGUMENT VALIDATION_ERROR naming the header, as every error carries an ErrorInfo.
import * as http2 from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();

/** A GetConfig over the gRPC door with this grpc-timeout; resolves its status code and ErrorInfo reason. */
function call(timeout: string): Promise<{ status?: string; reason?: string }> {
  const session = http2.connect(`http://${server.grpc}`);
  session.on("error", () => {});
  return new Promise<{ status?: string; reason?: string }>((resolve) => {
    const end: { status?: string; reason?: string } = {};
    const st = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/GetConfig", "content-type": "application/grpc", te: "trailers", "grpc-timeout": timeout });
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) end.status = String(h["grpc-status"]);
      const bin = h["grpc-status-details-bin"];
      const info = typeof bin === "string" ? fromBinary(StatusSchema, Buffer.from(bin, "base64")).details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo")) : undefined;
      if (info) end.reason = fromBinary(ErrorInfoSchema, info.value).reason;
    };
    st.on("response", read);
    st.on("trailers", read);
    st.on("data", () => {});
    st.on("error", () => {});
    st.on("close", () => resolve(end));
    st.end(Buffer.alloc(5)); // one empty message
  }).finally(() => session.destroy());
}

describe("gRPC door: a grpc-timeout that does not parse", () => {
  for (const timeout of ["abc", "1", "1s"]) {
    it(`"${timeout}" is INVALID_ARGUMENT VALIDATION_ERROR`, { timeout: 15_000 }, async () => {
      expect(await call(timeout)).toEqual({ status: "3", reason: "VALIDATION_ERROR" });
    });
  }

  it("a valid one still serves the call", { timeout: 15_000 }, async () => {
    expect((await call("10S")).status).toBe("0");
  });
});
