// Prometheus without OTLP (telemetry.otlp = false): metrics are served at /metrics, and the start-up
// log says nothing misleading (the SDK's 'OTEL_TRACES_EXPORTER contains "none". SDK will not be
// initialized.' sent operators looking for a problem that did not exist).
import { describe, expect, it } from "vitest";
import { startServer } from "../helpers/server.ts";
import { freePort } from "../helpers/ports.ts";

describe("telemetry with Prometheus only", () => {
  it("serves /metrics and logs no warning at start", async () => {
    const port = await freePort();
    const otel = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OTEL_")).map((k) => [k, ""]));
    const server = await startServer({
      toml: `[telemetry]\nenabled = true\notlp = false\nprometheus_address = "127.0.0.1:${port}"\n`,
      env: otel,
    });
    try {
      // Everything logged up to "listening" (the SDK warned while starting, synchronously).
      const lines = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string });
      expect(lines.find((l) => l.msg === "telemetry started")).toBeDefined();
      expect(lines.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("target_info");
    } finally {
      await server.stop();
    }
  }, 60_000);
});
