// A request over server.max_request_bytes is told so in the configuration's words on both doors:
// the message names server.max_request_bytes (the HTTP door said connect-node's `readMaxBytes`,
// named nowhere else), and the ErrorInfo carries the limit, as other RESOURCE_EXHAUSTED errors do.
import * as http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { RunScriptRequestSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const CAP = 65536;
const server = serverForTests({ args: ["--set", `server.max_request_bytes=${CAP}`] });

const source = "1 //" + "x".repeat(CAP);

describe("REQUEST_TOO_LARGE", () => {
  it("on the HTTP door names server.max_request_bytes and carries the limit", async () => {
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source }) });
    const body = (await res.json()) as { code: string; message: string; details: { debug: { reason: string; metadata: Record<string, string> } }[] };
    expect([res.status, body.code]).toEqual([429, "resource_exhausted"]);
    expect(body.message).toContain("server.max_request_bytes");
    expect(body.message).not.toContain("readMaxBytes");
    expect(body.details[0]!.debug).toMatchObject({ reason: "REQUEST_TOO_LARGE", metadata: { resource: "request_bytes", limit: String(CAP) } });
  });

  it("on the gRPC door carries the limit too", async () => {
    const message = Buffer.from(toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, { source })));
    const head = Buffer.alloc(5);
    head.writeUInt32BE(message.length, 1);
    const session = http2.connect(`http://${server.grpc}`);
    const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) => {
      const st = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/RunScript", "content-type": "application/grpc", te: "trailers" });
      let got: http2.IncomingHttpHeaders = {};
      st.on("response", (h) => (got = h["grpc-status"] ? h : got));
      st.on("trailers", (t) => (got = t));
      st.on("data", () => {});
      st.on("error", () => {});
      st.on("close", () => resolve(got));
      st.end(Buffer.concat([head, message]));
    });
    session.close();
    expect(trailers["grpc-status"]).toBe("8");
    const status = fromBinary(StatusSchema, Buffer.from(String(trailers["grpc-status-details-bin"]), "base64"));
    const info = fromBinary(ErrorInfoSchema, status.details.find((d) => d.typeUrl.endsWith("ErrorInfo"))!.value);
    expect(info.reason).toBe("REQUEST_TOO_LARGE");
    expect(info.metadata).toMatchObject({ resource: "request_bytes", limit: String(CAP) });
    expect(status.message).toContain("server.max_request_bytes");
  });
});
