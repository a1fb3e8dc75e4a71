// Calls refused by a port itself, before any handler runs, are traced and measured like the
// others: a message over server.max_request_bytes (gRPC port; HTTP port over gRPC and Connect), a
// grpc-timeout outside its grammar, a one-message body not in within server.idle_timeout. Before,
// they got no RPC span and no rpc.server.call.duration point (only the HTTP port's credential
// check, in its request gate, recorded its refusals).
import { expect, it } from "vitest";
import * as http2 from "node:http2";
import { otlpCollector, serverExportingTo, type OtlpCollector } from "../helpers/otlp-collector.ts";
import { until } from "../helpers/until.ts";

const SERVICE = "/scriptengine.v1.ScriptService";
const FIVE_MB = 5 * 1024 * 1024;

interface Ended {
  status: string;
  grpcStatus?: string;
}

/** One request over its own HTTP/2 connection; `body` undefined: HEADERS only, the body never comes (the server ends the call). */
async function call(address: string, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<Ended> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  try {
    const stream = session.request({ ":method": "POST", ...headers }, { endStream: false });
    stream.on("error", () => {});
    const ended: Ended = { status: "" };
    stream.on("response", (h) => {
      ended.status = String(h[":status"]);
      if (h["grpc-status"] !== undefined) ended.grpcStatus = String(h["grpc-status"]);
    });
    stream.on("trailers", (t) => (ended.grpcStatus = String(t["grpc-status"])));
    stream.resume();
    if (body) stream.end(body);
    // The answer's end (a body never sent leaves the stream half open on this side).
    await new Promise((resolve) => {
      stream.once("end", resolve);
      stream.once("close", resolve);
    });
    return ended;
  } finally {
    session.destroy();
  }
}

const grpcHeaders = (path: string, more: http2.OutgoingHttpHeaders = {}) => ({ ":path": `${SERVICE}/${path}`, "content-type": "application/grpc", te: "trailers", ...more });
/** A gRPC message of `bytes` zeros. */
const grpcMessage = (bytes: number) => {
  const frame = Buffer.alloc(5 + bytes);
  frame.writeUInt32BE(bytes, 1);
  return frame;
};

interface Span {
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

function spans(collector: OtlpCollector): Span[] {
  return collector.received
    .filter((r) => r.path === "/v1/traces")
    .flatMap((r) => (JSON.parse(r.body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
}

const attr = (attributes: Span["attributes"], key: string) => attributes.find((a) => a.key === key)?.value.stringValue;

/** "method status" of each RPC span. */
const spanStatuses = (collector: OtlpCollector) => spans(collector).map((s) => `${s.name} ${attr(s.attributes, "rpc.status_code")}`).sort();

/** Count of rpc.server.call.duration by "method status system" in the last metrics export. */
function durationCounts(collector: OtlpCollector): Record<string, number> {
  const body = collector.received.filter((r) => r.path === "/v1/metrics").at(-1)?.body;
  const counts: Record<string, number> = {};
  if (!body) return counts;
  const doc = JSON.parse(body) as { resourceMetrics: { scopeMetrics: { metrics: { name: string; histogram?: { dataPoints: { attributes: Span["attributes"]; count: string | number }[] } }[] }[] }[] };
  for (const m of doc.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))) {
    if (m.name !== "rpc.server.call.duration") continue;
    for (const p of m.histogram!.dataPoints) counts[`${attr(p.attributes, "rpc.method")} ${attr(p.attributes, "rpc.status_code")} ${attr(p.attributes, "rpc.system.name")}`] = Number(p.count);
  }
  return counts;
}

it("calls a port refuses before any handler runs have their RPC span and duration", async () => {
  const collector = await otlpCollector();
  const server = await serverExportingTo(`http://127.0.0.1:${collector.port}`, { OTEL_METRIC_EXPORT_INTERVAL: "600000" }, ["--set", "server.idle_timeout=1s"]);
  try {
    // Over the message cap (4 MiB): RESOURCE_EXHAUSTED on both ports, three protocols.
    expect((await call(server.grpc, grpcHeaders("RunScript"), grpcMessage(FIVE_MB))).grpcStatus).toBe("8");
    expect((await call(server.http, grpcHeaders("RunScript"), grpcMessage(FIVE_MB))).grpcStatus).toBe("8");
    expect((await call(server.http, { ":path": `${SERVICE}/RunScript`, "content-type": "application/proto" }, Buffer.alloc(FIVE_MB))).status).toBe("429");
    // A grpc-timeout outside its grammar: INVALID_ARGUMENT on both ports.
    expect((await call(server.grpc, grpcHeaders("GetConfig", { "grpc-timeout": "1.5S" }), grpcMessage(0))).grpcStatus).toBe("3");
    expect((await call(server.http, grpcHeaders("GetConfig", { "grpc-timeout": "1.5S" }), grpcMessage(0))).grpcStatus).toBe("3");
    // A one-message body that never comes: DEADLINE_EXCEEDED after idle_timeout on both ports.
    expect((await call(server.grpc, grpcHeaders("GetMetrics"))).grpcStatus).toBe("4");
    expect((await call(server.http, { ":path": `${SERVICE}/GetMetrics`, "content-type": "application/json" })).status).toBe("504");
    const expected = [
      "scriptengine.v1.ScriptService/GetConfig INVALID_ARGUMENT",
      "scriptengine.v1.ScriptService/GetConfig INVALID_ARGUMENT",
      "scriptengine.v1.ScriptService/GetMetrics DEADLINE_EXCEEDED",
      "scriptengine.v1.ScriptService/GetMetrics DEADLINE_EXCEEDED",
      "scriptengine.v1.ScriptService/RunScript RESOURCE_EXHAUSTED",
      "scriptengine.v1.ScriptService/RunScript RESOURCE_EXHAUSTED",
      "scriptengine.v1.ScriptService/RunScript RESOURCE_EXHAUSTED",
    ];
    await until("the refusals' spans are exported", () => spanStatuses(collector).length >= expected.length);
    expect(spanStatuses(collector)).toEqual(expected);
    expect(await server.stop()).toBe(0);
    expect(durationCounts(collector)).toEqual({
      "scriptengine.v1.ScriptService/RunScript RESOURCE_EXHAUSTED grpc": 2,
      "scriptengine.v1.ScriptService/RunScript RESOURCE_EXHAUSTED connectrpc": 1,
      "scriptengine.v1.ScriptService/GetConfig INVALID_ARGUMENT grpc": 2,
      "scriptengine.v1.ScriptService/GetMetrics DEADLINE_EXCEEDED grpc": 1,
      "scriptengine.v1.ScriptService/GetMetrics DEADLINE_EXCEEDED connectrpc": 1,
    });
  } finally {
    await server.stop("SIGKILL");
    collector.close();
  }
}, 90_000);
