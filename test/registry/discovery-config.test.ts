// discovery.* values the registry would refuse stop the server at startup with exit code 2 and a
// line naming the key, instead of a server that silently runs unregistered.
import { describe, expect, it } from "vitest";
import { startOutcome } from "./through-server.ts";

describe("discovery configuration", () => {
  it.each([
    ["discovery.ttl=2h", "discovery.ttl", /must be at most 1h, got 2h$/],
    ["discovery.service_id=has space", "discovery.service_id", /spaces or control characters/],
    [`discovery.service_id=${"x".repeat(129)}`, "discovery.service_id", /longer than 128/],
    ["discovery.service_type=", "discovery.service_type", /required/],
    ["discovery.service_type=two words", "discovery.service_type", /spaces or control characters/],
    ["discovery.advertise_endpoint=notanendpoint", "discovery.advertise_endpoint", /host:port/],
    ["discovery.advertise_endpoint=host:99999", "discovery.advertise_endpoint", /port/],
  ])("--set %s exits 2 naming %s", async (assignment, key, why) => {
    const { outcome, stderr } = await startOutcome(["--set", assignment]);
    expect(outcome).toBe(2);
    const line = stderr.split("\n")[0]!;
    expect(line.startsWith(`scriptengine: config: ${key}: `)).toBe(true);
    expect(line).toMatch(why);
  });

  it("values the registry accepts still start the server", async () => {
    const { outcome, stderr } = await startOutcome([
      "--set", "discovery.ttl=1h",
      "--set", "discovery.service_id=engine-a.eu_1",
      "--set", "discovery.advertise_endpoint=[::1]:50051",
    ]);
    expect(outcome, stderr).toBe("listening");
    expect(stderr).not.toMatch(/self-registration failed/);
  });
});
