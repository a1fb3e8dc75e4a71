// A lease TTL left unset or zero is the default; any other under the minimum is refused, a
// nanosecond (or minus one) included, though it rounds to 0 ms: it must not pass for unset. The
// bounds hold for the TTL asked: one a fraction of a millisecond outside is refused, not rounded in.
import { describe, expect, it } from "vitest";
import { failure } from "../helpers/errors.ts";
import { startServer } from "../helpers/server.ts";
import { registryAs } from "./through-server.ts";

const service = { serviceId: "svc", serviceType: "t", endpoint: "h.example:1" };

describe("RegisterService ttl edges", () => {
  it("refuses a TTL of +-1 ns as below the minimum and gives zero the default", async () => {
    const server = await startServer();
    try {
      const c = registryAs(server);
      for (const nanos of [1, -1, 499_999]) {
        const f = await failure(c.registerService({ service, ttl: { seconds: 0n, nanos } }));
        expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "ttl"]);
      }
      // As JSON over the HTTP door, a negative one.
      const json = await fetch(`http://${server.http}/scriptengine.v1.RegistryService/RegisterService`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ service, ttl: "-0.000000001s" }),
      });
      expect(json.status).toBe(400);
      expect(((await json.json()) as { message: string }).message).toContain("ttl must be between 1s and 3600s");
      expect((await c.discoverServices({ serviceType: "t" })).services).toEqual([]);

      const { lease } = await c.registerService({ service, ttl: { seconds: 0n, nanos: 0 } });
      expect(lease?.ttl?.seconds).toBe(30n);
    } finally {
      await server.stop();
    }
  }, 30_000);

  it("checks the bounds on the TTL asked, not on it rounded to whole ms", async () => {
    const server = await startServer();
    try {
      const c = registryAs(server);
      for (const ttl of ["0.9995s", "0.999999999s", "3600.0004s", "3600.000000001s"]) {
        const json = await fetch(`http://${server.http}/scriptengine.v1.RegistryService/RegisterService`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ service, ttl }),
        });
        expect([ttl, json.status]).toEqual([ttl, 400]);
        expect(((await json.json()) as { message: string }).message).toContain("ttl must be between 1s and 3600s");
      }
      expect((await c.discoverServices({ serviceType: "t" })).services).toEqual([]);
      // The edges themselves, and a fraction within them, are kept (rounded to whole ms).
      expect((await c.registerService({ service, ttl: { seconds: 1n, nanos: 0 } })).lease?.ttl?.seconds).toBe(1n);
      expect((await c.registerService({ service, ttl: { seconds: 3600n, nanos: 0 } })).lease?.ttl?.seconds).toBe(3600n);
      expect((await c.registerService({ service, ttl: { seconds: 1n, nanos: 500_400_000 } })).lease?.ttl).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
    } finally {
      await server.stop();
    }
  }, 30_000);
});
