// A call either port refuses for a grpc-timeout outside its grammar is traced in the caller's
// trace (its RPC span continues the W3C traceparent the call carried) with the status the caller
// got. On the gRPC port, a bidi call (reflection's) has its handler running by the time grpc-js
// refuses it, and that handler's end, cancelled by the refusal, used to record the span CANCELLED
// while the caller got INVALID_ARGUMENT.
import { expect, it } from "vitest";
import * as http2 from "node:http2";
import { otlpCollector, serverExportingTo } from "../helpers/otlp-collector.ts";
import { until } from "../helpers/until.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";
const METHODS = ["scriptengine.v1.ScriptService/GetConfig", "grpc.reflection.v1.ServerReflection/ServerReflectionInfo"];

/** A gRPC call of `method` (one empty message) with this grpc-timeout and the caller's traceparent; resolves its grpc-status. */
async function call(address: string, method: string, timeout: string): Promise<string> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": `/${method}`,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": timeout,
      traceparent: `00-${TRACE}-${PARENT}-01`,
    });
    stream.on("error", () => {});
    let status = "";
    stream.on("response", (h) => (status = String(h["grpc-status"] ?? status)));
    stream.on("trailers", (t) => (status = String(t["grpc-status"])));
    stream.resume();
    stream.end(Buffer.alloc(5));
    await new Promise((resolve) => stream.once("close", resolve));
    return status;
  } finally {
    session.destroy();
  }
}

interface Span {
  name: string;
  traceId: string;
  parentSpanId?: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

it("a grpc-timeout refused on either port is traced in the caller's trace, with the status the caller got", async () => {
  const collector = await otlpCollector();
  const server = await serverExportingTo(`http://127.0.0.1:${collector.port}`);
  try {
    for (const method of METHODS) {
      for (const door of ["grpc", "http"] as const) expect({ door, method, status: await call(server[door], method, "1.5S") }).toEqual({ door, method, status: "3" });
    }
    const spans = () =>
      collector.received
        .filter((r) => r.path === "/v1/traces")
        .flatMap((r) => (JSON.parse(r.body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
    await until("the refusals' spans are exported", () => spans().length >= 2 * METHODS.length);
    const seen = spans().map((s) => ({
      method: s.name,
      status: s.attributes.find((a) => a.key === "rpc.status_code")?.value.stringValue,
      traceId: s.traceId,
      parentSpanId: s.parentSpanId,
    }));
    const each = (method: string) => ({ method, status: "INVALID_ARGUMENT", traceId: TRACE, parentSpanId: PARENT });
    expect(seen.sort((a, b) => a.method.localeCompare(b.method))).toEqual(METHODS.flatMap((m) => [each(m), each(m)]).sort((a, b) => a.method.localeCompare(b.method)));
    expect(await server.stop()).toBe(0);
  } finally {
    await server.stop("SIGKILL");
    collector.close();
  }
}, 60_000);
