// An admin correcting another principal's registration changes its service info only. It used to
// mint a new lease for the admin and reset the TTL to the 30 s default: the owner's instance got
// LEASE_NOT_FOUND "does not exist or has expired; register again" on its next heartbeat and, doing
// so, overwrote the correction. A lease replaced by the owner's own newer registration now says so.
import { create } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { expect, it } from "vitest";
import { ServiceInfoSchema } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { RegistryError, ServiceRegistry } from "../../src/registry/index.ts";

const alice = { principal: "alice", admin: false };
const ops = { principal: "ops", admin: true };
const info = (endpoint: string) => create(ServiceInfoSchema, { serviceId: "al", serviceType: "t", endpoint });
const registry = () => new ServiceRegistry({ sweepIntervalMs: 0 });

function leaseError(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RegistryError) return err;
    throw err;
  }
  throw new Error("expected a RegistryError");
}

it("an admin's update keeps the owner's lease id and TTL", () => {
  const reg = registry();
  const owned = reg.register(info("wrong.example:1"), 600_000, alice);
  const fixed = reg.register(info("right.example:1"), undefined, ops);
  expect(fixed.leaseId).toBe(owned.leaseId);
  expect(durationMs(fixed.ttl!)).toBe(600_000);
  const renewed = reg.heartbeat(owned.leaseId, alice);
  expect(durationMs(renewed.ttl!)).toBe(600_000);
  expect(reg.get("al")?.service?.endpoint).toBe("right.example:1");
});

it("an admin's update with a ttl sets it, still on the owner's lease", () => {
  const reg = registry();
  const owned = reg.register(info("a.example:1"), 600_000, alice);
  const fixed = reg.register(info("b.example:1"), 120_000, ops);
  expect(fixed.leaseId).toBe(owned.leaseId);
  expect(durationMs(reg.heartbeat(owned.leaseId, alice).ttl!)).toBe(120_000);
});

it("a heartbeat of a lease replaced by a newer registration says so", () => {
  const reg = registry();
  const first = reg.register(info("a.example:1"), 60_000, alice);
  const second = reg.register(info("b.example:1"), 60_000, alice);
  expect(second.leaseId).not.toBe(first.leaseId);
  const err = leaseError(() => reg.heartbeat(first.leaseId, alice));
  expect(err.reason).toBe("LEASE_NOT_FOUND");
  expect(err.message).toContain('replaced by a newer registration of service "al"');
  expect(err.metadata).toMatchObject({ lease_id: first.leaseId, service_id: "al" });
  // An unknown lease: nothing to tell, but that it may have been replaced too.
  const unknown = leaseError(() => reg.heartbeat("no-such-lease", alice));
  expect(unknown.reason).toBe("LEASE_NOT_FOUND");
  expect(unknown.message).toMatch(/does not exist, has expired or was replaced/);
});

it("remembers a bounded number of replaced leases", () => {
  const reg = registry();
  const first = reg.register(info("a.example:1"), 60_000, alice);
  const second = reg.register(info("a.example:1"), 60_000, alice);
  for (let i = 0; i < 1024; i++) reg.register(info("a.example:1"), 60_000, alice);
  // 1025 leases replaced: the first is forgotten, the second still known.
  expect(leaseError(() => reg.heartbeat(first.leaseId, alice)).message).toMatch(/does not exist, has expired or was replaced/);
  expect(leaseError(() => reg.heartbeat(second.leaseId, alice)).message).toContain("replaced by a newer registration");
});
