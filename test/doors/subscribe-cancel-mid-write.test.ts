// A caller that cancels a Subscribe while the HTTP door is writing it stored events leaves the
// door's write to fail with a plain Node error (ERR_STREAM_DESTROYED). That is the caller going
// away — CANCELLED, as over grpc-js — not an INTERNAL failure logged at level error and counted
// INTERNAL in metrics and traces.
import { expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { otlpCollector } from "../helpers/otlp-collector.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { startServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const METHOD = "scriptengine.v1.EventService/Subscribe";
const PAD = "z".repeat(60_000); // ~60 KB per message: writes are in progress when the caller leaves
const ROUNDS = 10;

interface Span {
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

it("a Subscribe cancelled while the HTTP door writes stored events is CANCELLED, not INTERNAL", async () => {
  const collector = await otlpCollector();
  const server = await startServer({
    toml: principalsToml({ name: "alice", permissions: ["events:emit"] }),
    args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false", "--set", "telemetry.enabled=true"],
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "100" },
  });
  const auth = bearer(tokenOf("alice"));
  try {
    const emitter = clientFor(EventService, "grpc-js", server);
    for (let i = 0; i < 50; i++) {
      await emitter.emit({ event: { event: { case: "serviceRegistered", value: { serviceId: `big-${i}`, serviceType: "t", metadata: { pad: { kind: { case: "stringValue", value: PAD } } } } } } }, auth);
    }
    for (let i = 0; i < ROUNDS; i++) {
      const ac = new AbortController();
      const reading = (async () => {
        try {
          for await (const _ of clientFor(EventService, "connect", server).subscribe({ afterSequence: 0n }, { ...auth, signal: ac.signal }));
        } catch {
          /* cancelled */
        }
      })();
      await new Promise((r) => setTimeout(r, 15));
      ac.abort();
      await reading;
    }
    const spans = () =>
      collector.received
        .filter((r) => r.path === "/v1/traces")
        .flatMap((r) => (JSON.parse(r.body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)))
        .filter((s) => s.name === METHOD);
    await until("every Subscribe's span is exported", () => spans().length >= ROUNDS);
    const statuses = spans().map((s) => s.attributes.find((a) => a.key === "rpc.status_code")?.value.stringValue);
    expect(new Set(statuses)).toEqual(new Set(["CANCELLED"]));
    const failed = server.logs().split("\n").filter((l) => l.includes('"rpc failed"'));
    expect(failed).toEqual([]);
    expect(await server.stop()).toBe(0);
  } finally {
    await server.stop("SIGKILL");
    collector.close();
  }
}, 90_000);
