// A browser page that propagates W3C trace context (OpenTelemetry web instrumentation) asks, in its
// preflight, to send traceparent and tracestate: the door's spans continue them (README), so the
// preflight must allow them, or the browser blocks every call from that page.
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "server.cors_origins=https://app.example.com"] });

describe("CORS preflight and trace context", () => {
  it("allows traceparent and tracestate", async () => {
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type,traceparent,tracestate" },
    });
    expect(res.status).toBe(204);
    const allowed = res.headers.get("access-control-allow-headers")!.toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["content-type", "traceparent", "tracestate"]));
  });
});
