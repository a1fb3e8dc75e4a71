// A request body that does not decode is answered INVALID_ARGUMENT on the HTTP port (the request
// gate mends connect-node's INTERNAL "parse binary: ..." and the like, undecodable-request.ts). Its
// RPC span and rpc.server.call.duration point must say what the client got, whatever its deadline:
// they said INTERNAL (a server fault, in error-rate alerts) for a call with a normal deadline, and
// INVALID_ARGUMENT for one whose deadline had passed on arrival, as their listeners ran in
// opposite orders (call-aborted.ts).
import { expect, it } from "vitest";
import * as http2 from "node:http2";
import { otlpCollector, serverExportingTo, type OtlpCollector } from "../helpers/otlp-collector.ts";
import { until } from "../helpers/until.ts";

const RUN_SCRIPT = "/scriptengine.v1.ScriptService/RunScript";

/** A Connect binary call whose body (ff ff ff) does not decode: "status code" of its answer. */
const connectCall = (address: string, headers: Record<string, string>) =>
  fetch(`http://${address}${RUN_SCRIPT}`, { method: "POST", headers: { "content-type": "application/proto", ...headers }, body: Buffer.from([0xff, 0xff, 0xff]) }).then(
    async (r) => `${r.status} ${((await r.json()) as { code: string }).code}`,
  );

/** A gRPC call over `address` whose one envelope is flagged compressed though the call names no encoding: its grpc-status. */
async function grpcCall(address: string, headers: http2.OutgoingHttpHeaders): Promise<string | undefined> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  try {
    const stream = session.request({ ":method": "POST", ":path": RUN_SCRIPT, "content-type": "application/grpc", te: "trailers", ...headers });
    stream.on("error", () => {});
    let status: string | undefined;
    stream.on("response", (h) => (status ??= h["grpc-status"] === undefined ? undefined : String(h["grpc-status"])));
    stream.on("trailers", (t) => (status = String(t["grpc-status"])));
    stream.resume();
    stream.end(Buffer.from([1, 0, 0, 0, 1, 0]));
    await new Promise((resolve) => stream.once("close", resolve));
    return status;
  } finally {
    session.destroy();
  }
}

interface Attribute {
  key: string;
  value: { stringValue?: string };
}
const attr = (attributes: Attribute[], key: string) => attributes.find((a) => a.key === key)?.value.stringValue;

/** "method status" of each RPC span. */
function spanStatuses(collector: OtlpCollector): string[] {
  return collector.received
    .filter((r) => r.path === "/v1/traces")
    .flatMap((r) => (JSON.parse(r.body) as { resourceSpans: { scopeSpans: { spans: { name: string; attributes: Attribute[] }[] }[] }[] }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)))
    .map((s) => `${s.name} ${attr(s.attributes, "rpc.status_code")}`);
}

/** Count of rpc.server.call.duration by "method status system" in the last metrics export. */
function durationCounts(collector: OtlpCollector): Record<string, number> {
  const body = collector.received.filter((r) => r.path === "/v1/metrics").at(-1)?.body;
  const counts: Record<string, number> = {};
  if (!body) return counts;
  const doc = JSON.parse(body) as { resourceMetrics: { scopeMetrics: { metrics: { name: string; histogram?: { dataPoints: { attributes: Attribute[]; count: string | number }[] } }[] }[] }[] };
  for (const m of doc.resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))) {
    if (m.name !== "rpc.server.call.duration") continue;
    for (const p of m.histogram!.dataPoints) counts[`${attr(p.attributes, "rpc.method")} ${attr(p.attributes, "rpc.status_code")} ${attr(p.attributes, "rpc.system.name")}`] = Number(p.count);
  }
  return counts;
}

it("a request body that does not decode is recorded as the INVALID_ARGUMENT it is answered, with a normal deadline or a spent one", async () => {
  const collector = await otlpCollector();
  const server = await serverExportingTo(`http://127.0.0.1:${collector.port}`, { OTEL_METRIC_EXPORT_INTERVAL: "600000" });
  try {
    expect(await connectCall(server.http, {})).toBe("400 invalid_argument");
    expect(await connectCall(server.http, { "connect-timeout-ms": "0" })).toBe("400 invalid_argument");
    expect(await grpcCall(server.http, {})).toBe("3");
    expect(await grpcCall(server.http, { "grpc-timeout": "0m" })).toBe("3");
    await until("the four calls' spans are exported", () => spanStatuses(collector).length >= 4);
    expect(spanStatuses(collector)).toEqual(Array(4).fill("scriptengine.v1.ScriptService/RunScript INVALID_ARGUMENT"));
    expect(await server.stop()).toBe(0);
    expect(durationCounts(collector)).toEqual({
      "scriptengine.v1.ScriptService/RunScript INVALID_ARGUMENT connectrpc": 2,
      "scriptengine.v1.ScriptService/RunScript INVALID_ARGUMENT grpc": 2,
    });
  } finally {
    await server.stop("SIGKILL");
    collector.close();
  }
}, 90_000);
