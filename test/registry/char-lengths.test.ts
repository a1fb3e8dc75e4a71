// The registry's length bounds count characters as code points, as the contract does elsewhere:
// an emoji is one character, though two UTF-16 units, so 100 of them are a valid service_id.
import { describe, expect, it } from "vitest";
import { failure } from "../helpers/errors.ts";
import { startServer } from "../helpers/server.ts";
import { registryAs } from "./through-server.ts";
import { firstEventDuring } from "../helpers/events.ts";

const emoji = (n: number) => "\u{1F600}".repeat(n);

describe("registry length bounds in characters", () => {
  it("take each bound's number of emoji and refuse one more", async () => {
    const server = await startServer();
    try {
      const c = registryAs(server);
      const service = { serviceId: emoji(128), serviceType: emoji(128), version: emoji(64), endpoint: "h.example:1", metadata: { [emoji(128)]: emoji(1024) } };
      await c.registerService({ service });
      const [listed] = (await c.discoverServices({ serviceType: emoji(128) })).services;
      expect(listed?.service?.serviceId).toBe(emoji(128));
      expect(listed?.service?.metadata).toEqual({ [emoji(128)]: emoji(1024) });

      for (const [over, field] of [
        [{ serviceId: emoji(129) }, "service.service_id"],
        [{ serviceId: "other", version: emoji(65) }, "service.version"],
        [{ serviceId: "other", metadata: { [emoji(129)]: "v" } }, "service.metadata"],
        [{ serviceId: "other", metadata: { k: emoji(1025) } }, "service.metadata"],
      ] as const) {
        const f = await failure(c.registerService({ service: { ...service, ...over } }));
        expect([f.code, f.metadata.field]).toEqual(["InvalidArgument", field]);
      }
    } finally {
      await server.stop();
    }
  }, 30_000);

  it("cut a deregistration's reason at 256 characters, never through an emoji, saying how much went", async () => {
    const server = await startServer({ toml: "[discovery]\nenabled = false\n" });
    try {
      const c = registryAs(server);
      await c.registerService({ service: { serviceId: "r", serviceType: "t", endpoint: "h.example:1" } });
      const reason = "a".repeat(255) + emoji(2);
      const e = await firstEventDuring(server, "service_unregistered", {}, () => c.deregisterService({ serviceId: "r", reason }));
      expect(e.event.case === "serviceUnregistered" && e.event.value.reason).toBe("a".repeat(255) + emoji(1) + "… [1 more characters cut]");
    } finally {
      await server.stop();
    }
  }, 30_000);
});
