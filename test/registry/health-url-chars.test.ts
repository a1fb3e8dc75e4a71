// A health_check_url with whitespace or control characters is refused: the URL parser drops tabs
// and line breaks and escapes the rest, so the URL it checked was not the one stored and listed
// (a raw CR LF there reaches whoever probes it, a header injection for a naive HTTP client).
import { describe, expect, it } from "vitest";
import { failure } from "../helpers/errors.ts";
import { startServer } from "../helpers/server.ts";
import { registryAs } from "./through-server.ts";

describe("health_check_url characters", () => {
  it("RegisterService refuses spaces and control characters in it, naming the field", async () => {
    const server = await startServer();
    try {
      const c = registryAs(server);
      const register = (healthCheckUrl: string) =>
        c.registerService({ service: { serviceId: "svc", serviceType: "t", endpoint: "h.example:1", healthCheckUrl } });
      for (const [url, cp] of [
        ["http://h.example/health\r\nX-Injected: 1", "U+000D"],
        ["http://h.example/\u0000", "U+0000"],
        ["http://h.example/a b", "U+0020"],
        ["http://h.ex\tample/", "U+0009"],
      ]) {
        const f = await failure(register(url));
        expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "service.health_check_url"]);
        expect(f.err.rawMessage).toContain(cp);
      }
      expect((await c.discoverServices({ serviceType: "t" })).services).toEqual([]);
      // Escaped, the same URL is accepted and listed as sent.
      await register("http://h.example/a%20b?x=%0D%0A");
      const [listed] = (await c.discoverServices({ serviceType: "t" })).services;
      expect(listed?.service?.healthCheckUrl).toBe("http://h.example/a%20b?x=%0D%0A");
    } finally {
      await server.stop();
    }
  }, 30_000);
});
