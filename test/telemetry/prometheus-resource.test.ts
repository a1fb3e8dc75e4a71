// With Prometheus on, a scrape read the resource before the host detector's asynchronous host.id
// had settled: the SDK logged a warning at every scrape and target_info lacked host_id, which the
// OTLP exports carried. The resource is settled before the server starts serving.
import { describe, expect, it } from "vitest";
import { startServer } from "../helpers/server.ts";
import { freePort } from "../helpers/ports.ts";

describe("Prometheus resource", () => {
  it("serves target_info with the host id and logs nothing on a scrape", async () => {
    const port = await freePort();
    const otel = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OTEL_")).map((k) => [k, ""]));
    const server = await startServer({
      toml: `[telemetry]\nenabled = true\notlp = false\nprometheus_address = "127.0.0.1:${port}"\n`,
      env: otel,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const targetInfo = (await res.text()).split("\n").find((l) => l.startsWith("target_info{"));
      expect(targetInfo).toMatch(/host_id="[^"]+"/);
    } finally {
      await server.stop();
    }
    // Logged by the scrape, if at all, before the stop.
    const warnings = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string })
      .filter((l) => l.level === "warn" || l.level === "error");
    expect(warnings).toEqual([]);
  }, 60_000);
});
