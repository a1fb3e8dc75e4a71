// A subscriber that falls behind is visible to the operator: GetMetrics (lagged_events,
// lag_disconnects) and the OTel/Prometheus counters scriptengine.events.lagged and
// scriptengine.events.lag_disconnects.
import { describe, expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { freePort } from "../helpers/ports.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { startServer } from "../helpers/server.ts";
import { pausedSubscribe } from "../helpers/paused-subscribe.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const as = bearer(tokenOf("alice"));

describe("lag counters", () => {
  it("count the events a stalled subscriber missed and the subscription it lost, in GetMetrics and Prometheus", async () => {
    const port = await freePort();
    const otel = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OTEL_")).map((k) => [k, ""]));
    const s = await startServer({
      toml:
        `[events]\nsubscriber_buffer = 2\non_lag = "disconnect"\n\n` +
        `[telemetry]\nenabled = true\notlp = false\nprometheus_address = "127.0.0.1:${port}"\n\n` +
        principalsToml({ name: "alice", permissions: ["events:emit"] }),
      env: otel,
    });
    try {
      const metrics = async () => (await clientFor(ScriptService, "grpc-js", s).getMetrics({}, as)).metrics!;
      expect([(await metrics()).laggedEvents, (await metrics()).lagDisconnects]).toEqual([0n, 0n]);

      // A raw HTTP/2 reader that stops reading after its first message: the server's writes back up.
      const sub = await pausedSubscribe(s.grpc, ["script_compiled"], as.headers);

      const events = clientFor(EventService, "grpc-js", s);
      const text = "q".repeat(30_000);
      let m = await metrics();
      for (let i = 0; i < 400 && m.lagDisconnects === 0n; i++) {
        await events.emit({ event: { event: { case: "scriptCompiled", value: { scriptId: `s${i}`, success: false, error: text } } } }, as);
        if (i % 20 === 19) m = await metrics();
      }
      sub.close();
      m = await metrics();
      expect(m.lagDisconnects).toBe(1n);
      expect(m.laggedEvents).toBeGreaterThanOrEqual(1n);

      // The exporter reads the same counters at each scrape.
      let scraped = "";
      for (let i = 0; i < 50 && !/scriptengine_events_lag_disconnects_total(\{[^}]*\})? 1\b/.test(scraped); i++) {
        scraped = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        await sleep(100);
      }
      expect(scraped).toMatch(/scriptengine_events_lag_disconnects_total(\{[^}]*\})? 1\b/);
      const lagged = /scriptengine_events_lagged_total(?:\{[^}]*\})? (\d+)/.exec(scraped);
      expect(Number(lagged?.[1])).toBe(Number(m.laggedEvents));
    } finally {
      expect(await s.stop()).toBe(0);
    }
  }, 60_000);
});
