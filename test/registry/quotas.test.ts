// Registry quotas through the real server: registry.max_registrations (all principals),
// registry.max_registrations_per_principal (one principal cannot take every slot) and
// registry.max_metadata_bytes (what one registration may store).
import { describe, expect, it } from "vitest";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { registryAs } from "./through-server.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";

const server = serverForTests({
  toml:
    `[registry]\nmax_registrations = 6\nmax_registrations_per_principal = 2\nmax_metadata_bytes = 1024\n` +
    principalsToml(...["alice", "bob", "carol"].map((name) => ({ name, permissions: ["registry:write"] }))),
}, { checkExit: false });

const as = (name: string) => registryAs(server, tokenOf(name));
const service = (id: string, metadata: Record<string, string> = {}) => ({
  service: { serviceId: id, serviceType: "q", endpoint: "127.0.0.1:1", metadata },
});

describe("registry quotas", () => {
  it("a principal holds at most max_registrations_per_principal; updates and other principals are unaffected", async () => {
    const alice = as("alice");
    await alice.registerService(service("alice-1"));
    await alice.registerService(service("alice-2"));
    const over = await failure(alice.registerService(service("alice-3")));
    expect([over.code, over.reason]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED"]);
    expect(over.metadata).toMatchObject({ resource: "registrations_per_principal", limit: "2", principal: "alice" });
    // Re-registering an id she holds is an update, not a new slot.
    await alice.registerService({ service: { ...service("alice-1").service, version: "2" } });
    await as("bob").registerService(service("bob-1"));
    // Deregistering frees her slot.
    await alice.deregisterService({ serviceId: "alice-2" });
    await alice.registerService(service("alice-3"));
  });

  it("max_registrations bounds every principal together (the engine's own registration included)", async () => {
    // engine + alice-1, alice-3 + bob-1: 4 of 6.
    await as("bob").registerService(service("bob-2"));
    await as("carol").registerService(service("carol-1"));
    const full = await failure(as("carol").registerService(service("carol-2")));
    expect([full.code, full.reason]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED"]);
    expect(full.metadata).toMatchObject({ resource: "registrations", limit: "6" });
  });

  it("a registration's metadata may take at most max_metadata_bytes", async () => {
    const alice = as("alice");
    const f = await failure(alice.registerService(service("alice-1", { a: "x".repeat(600), b: "y".repeat(600) })));
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "service.metadata"]);
    await alice.registerService(service("alice-1", { a: "x".repeat(500), b: "y".repeat(500) }));
  });
});
