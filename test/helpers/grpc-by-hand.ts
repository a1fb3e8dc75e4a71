// A unary gRPC call written by hand over HTTP/2 with a grpc-timeout header of the test's choosing:
// a value outside the header's grammar can be sent, and the client keeps no deadline of its own
// (grpc-js and connect-node give up at theirs), so what the server answers is read however late it
// comes on a loaded machine.
import * as http2 from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";

/** The call's end: its grpc-status, ErrorInfo reason and metadata, and grpc-message. */
export type End = { status?: string; reason?: string; message?: string; metadata?: Record<string, string> };

/** `method` of ScriptService at `address`, with this grpc-timeout and message (its binary encoding). */
export function scriptServiceByHand(address: string, timeout: string, method: string, message = new Uint8Array()): Promise<End> {
  const envelope = Buffer.alloc(5);
  envelope.writeUInt32BE(message.length, 1);
  return grpcByHand(address, `/scriptengine.v1.ScriptService/${method}`, Buffer.concat([envelope, message]), { "grpc-timeout": timeout });
}

/** A gRPC call to `path` over h2c whose body (envelopes included) and extra headers are the caller's. */
export function grpcByHand(address: string, path: string, body: Buffer, headers: Record<string, string> = {}): Promise<End> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  return new Promise<End>((resolve) => {
    const end: End = {};
    const st = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) end.status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) end.message = decodeURIComponent(String(h["grpc-message"]));
      const bin = h["grpc-status-details-bin"];
      const info = typeof bin === "string" ? fromBinary(StatusSchema, Buffer.from(bin, "base64")).details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo")) : undefined;
      if (info) ({ reason: end.reason, metadata: end.metadata } = fromBinary(ErrorInfoSchema, info.value));
    };
    st.on("response", read);
    st.on("trailers", read);
    st.on("data", () => {});
    st.on("error", () => {});
    st.on("close", () => resolve(end));
    st.end(body);
  }).finally(() => session.destroy());
}
