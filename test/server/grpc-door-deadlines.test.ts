// The gRPC port (grpc-js) takes a deadline longer than a timer holds (~24.8 days) as none, as the
// HTTP port does (http-door.test.ts): grpc-js would fire it at once. Raw HTTP/2 clients send the
// grpc-timeout header as is.
import * as http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { RunScriptRequestSchema, RunScriptResponseSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { HealthCheckRequestSchema } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ServerReflectionRequestSchema, ServerReflectionResponseSchema } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();

function frame<D extends DescMessage>(schema: D, msg: MessageShape<D>): Buffer {
  const body = Buffer.from(toBinary(schema, msg));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** One raw gRPC call on the gRPC port: its grpc-status (or "open" if it is still going after `openMs`) and the first message. */
async function call(path: string, timeout: string, request: Buffer, openMs = 10_000): Promise<{ status: string; first?: Buffer }> {
  const session = http2.connect(`http://${server.grpc}`);
  try {
    return await new Promise((resolve) => {
      const s = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", "grpc-timeout": timeout });
      let status = "";
      let data = Buffer.alloc(0);
      const first = () => (data.length >= 5 ? data.subarray(5, 5 + data.readUInt32BE(1)) : undefined);
      s.on("response", (h) => (status = String(h["grpc-status"] ?? "")));
      s.on("trailers", (h) => (status ||= String(h["grpc-status"])));
      s.on("data", (d: Buffer) => (data = Buffer.concat([data, d])));
      s.on("error", () => {});
      s.on("close", () => resolve({ status, first: first() }));
      setTimeout(() => {
        resolve({ status: "open", first: first() });
        s.close();
      }, openMs).unref();
      s.end(request);
    });
  } finally {
    session.close();
  }
}

const runScript = (timeout: string) =>
  call("/scriptengine.v1.ScriptService/RunScript", timeout, frame(RunScriptRequestSchema, create(RunScriptRequestSchema, { source: "6 * 7" })));

describe("the gRPC port and deadlines longer than a timer holds", () => {
  it.each(["3000000S", "99999999H", "720H"])("RunScript with grpc-timeout %s answers, not DEADLINE_EXCEEDED at once", async (timeout) => {
    const { status, first } = await runScript(timeout);
    expect(status).toBe("0");
    expect(fromBinary(RunScriptResponseSchema, first!).result?.returnValue?.kind.value).toBe(42);
  });

  it("a stream with a 30-day deadline stays open (Health/Watch)", async () => {
    const { status } = await call("/grpc.health.v1.Health/Watch", "720H", frame(HealthCheckRequestSchema, create(HealthCheckRequestSchema)), 1500);
    expect(status).toBe("open");
  });

  it("reflection lists the services under such a deadline", async () => {
    const req = frame(ServerReflectionRequestSchema, create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } }));
    const { status, first } = await call("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "3000000S", req, 5000);
    expect(status).toBe("0");
    const res = fromBinary(ServerReflectionResponseSchema, first!);
    expect(res.messageResponse.case).toBe("listServicesResponse");
    const names = res.messageResponse.case === "listServicesResponse" ? res.messageResponse.value.service.map((s) => s.name) : [];
    expect(names).toContain("scriptengine.v1.ScriptService");
  });

  it("a deadline a timer holds is still kept (1 ms ends DEADLINE_EXCEEDED)", async () => {
    const { status } = await call("/grpc.health.v1.Health/Watch", "1m", frame(HealthCheckRequestSchema, create(HealthCheckRequestSchema)), 5000);
    expect(status).toBe("4");
  });
});
