// An events:emit principal could Emit a ServiceRegistered, ServiceUnregistered or
// HealthStatusChanged about a service another principal holds registered (say that it went away,
// or is unhealthy), in that owner's name but for its source. Only the owner of a live registration
// (or an admin) may now emit such events about it; a service not registered here, or the caller's
// own, stays open to it.
import { expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";

const s = serverForTests({
  toml: principalsToml(
    { name: "alice", permissions: ["events:emit", "registry:write"] },
    { name: "bob", permissions: ["events:emit", "registry:write"] },
    { name: "root", permissions: ["admin"] },
  ),
});
const as = (name: string) => bearer(tokenOf(name));
const events = () => clientFor(EventService, "connect", s);
const registry = () => clientFor(RegistryService, "grpc-js", s);

const health = (serviceId: string) => ({ event: { event: { case: "healthStatusChanged" as const, value: { serviceId, status: ServiceStatus.UNHEALTHY, message: "down" } } } });
const registered = (serviceId: string) => ({ event: { event: { case: "serviceRegistered" as const, value: { serviceId, serviceType: "pay" } } } });
const unregistered = (serviceId: string) => ({ event: { event: { case: "serviceUnregistered" as const, value: { serviceId, reason: "deregistered" } } } });

it("events about a service another principal registered need its owner or admin", async () => {
  await registry().registerService({ service: { serviceId: "payments", serviceType: "pay", endpoint: "127.0.0.1:9000" } }, as("alice"));
  for (const e of [health("payments"), registered("payments"), unregistered("payments")]) {
    const f = await failure(events().emit(e, as("bob")));
    expect([f.code, f.reason, f.metadata.permission, f.metadata.principal]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "admin", "bob"]);
    expect(f.err.rawMessage).toContain('about service "payments" are its owner\'s: it is registered by another principal');
    // Its owner and an admin may.
    expect((await events().emit(e, as("alice"))).sequence).toBeGreaterThan(0n);
    expect((await events().emit(e, as("root"))).sequence).toBeGreaterThan(0n);
  }
  // A service not registered here, or bob's own, is bob's to speak of.
  expect((await events().emit(health("billing"), as("bob"))).sequence).toBeGreaterThan(0n);
  await registry().registerService({ service: { serviceId: "billing", serviceType: "pay", endpoint: "127.0.0.1:9001" } }, as("bob"));
  expect((await events().emit(health("billing"), as("bob"))).sequence).toBeGreaterThan(0n);
  // Once alice's registration is gone, the id is no one's.
  await registry().deregisterService({ serviceId: "payments" }, as("alice"));
  expect((await events().emit(unregistered("payments"), as("bob"))).sequence).toBeGreaterThan(0n);
}, 60_000);
