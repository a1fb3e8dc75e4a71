// The lease id is the right to renew, returned only to the registrant: DiscoverServices and
// WatchServices carry each registration's lease (ttl, expiry) without it, and Heartbeat refuses a
// caller who is neither the registration's owner nor an admin even when it holds the id. The
// engine's own registration keeps renewing itself; an ownerless (pre-owner) one still renews.
import { afterEach, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ChangeKind, ServiceInfoSchema, type WatchServicesResponse } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { MemoryRegistryStore, RegistryError, ServiceRegistry, registerSelf } from "../../src/registry/index.ts";
import { failure } from "../helpers/errors.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { registryAs } from "./through-server.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";

const TOML =
  `[discovery]\nservice_id = "engine-under-test"\nttl = "1s"\n` +
  principalsToml(
    { name: "alice", permissions: ["registry:write"] },
    { name: "bob", permissions: ["registry:write"] },
    { name: "root", permissions: ["admin"] },
    { name: "reader" },
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: TestServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

describe("lease ids through the server", () => {
  it("discovery and watches never carry a lease id; a non-owner holding one cannot renew", async () => {
    const server = await startServer({ toml: TOML });
    running.push(server);
    const alice = registryAs(server, tokenOf("alice"));
    const bob = registryAs(server, tokenOf("bob"), "grpc-over-http");
    const root = registryAs(server, tokenOf("root"));
    const reader = registryAs(server, tokenOf("reader"), "connect-json");
    const { lease } = await alice.registerService({ service: { serviceId: "alice-svc", serviceType: "t", endpoint: "alice.example:1" }, ttl: { seconds: 60n } });
    expect(lease!.leaseId).not.toBe("");

    const listed = (await reader.discoverServices({})).services;
    expect(listed.map((r) => r.service!.serviceId).sort()).toEqual(["alice-svc", "engine-under-test"]);
    for (const r of listed) {
      expect(r.lease!.leaseId).toBe("");
      expect(r.lease!.serviceId).toBe(r.service!.serviceId);
      expect(r.lease!.ttl).toBeDefined();
      expect(r.lease!.expiresAt).toBeDefined();
    }
    expect(listed.find((r) => r.service!.serviceId === "alice-svc")!.lease!.ttl!.seconds).toBe(60n);

    const ac = new AbortController();
    const seen: WatchServicesResponse[] = [];
    const watching = (async () => {
      for await (const m of reader.watchServices({}, { signal: ac.signal })) {
        seen.push(m);
        if (m.kind === ChangeKind.REGISTERED) break;
      }
    })();
    while (seen.length < 3) await sleep(20); // the snapshot and SYNCED
    await alice.registerService({ service: { serviceId: "alice-svc", serviceType: "t", endpoint: "alice.example:2" }, ttl: { seconds: 60n } });
    await bob.registerService({ service: { serviceId: "bob-svc", serviceType: "t", endpoint: "bob.example:1" } });
    await watching;
    ac.abort();
    expect(seen.map((m) => ChangeKind[m.kind])).toEqual(["EXISTING", "EXISTING", "SYNCED", "UPDATED", "REGISTERED"]);
    for (const m of seen) if (m.kind !== ChangeKind.SYNCED) expect(m.registration!.lease!.leaseId).toBe("");

    // Alice's lease id, however it got out: Bob may not renew with it; the owner and admin may.
    const again = await alice.registerService({ service: { serviceId: "alice-svc", serviceType: "t", endpoint: "alice.example:3" }, ttl: { seconds: 60n } });
    const f = await failure(bob.heartbeat({ leaseId: again.lease!.leaseId }));
    expect([f.code, f.reason, f.metadata.service_id]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "alice-svc"]);
    expect((await alice.heartbeat({ leaseId: again.lease!.leaseId })).lease!.leaseId).toBe(again.lease!.leaseId);
    expect((await root.heartbeat({ leaseId: again.lease!.leaseId })).lease!.serviceId).toBe("alice-svc");

    // The engine's own 1 s lease keeps renewing itself (its heartbeats carry no caller).
    await sleep(2500);
    const engine = (await reader.discoverServices({ serviceType: "ScriptEngine" })).services;
    expect(engine.map((r) => r.service!.serviceId)).toEqual(["engine-under-test"]);
  }, 60_000);
});

describe("ServiceRegistry leases", () => {
  const info = (id: string) => create(ServiceInfoSchema, { serviceId: id, serviceType: "t", endpoint: "h.example:1" });
  const reasonOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(RegistryError);
      return (e as RegistryError).reason;
    }
    return undefined;
  };
  const alice = { principal: "alice", admin: false };
  const bob = { principal: "bob", admin: false };
  const root = { principal: "root", admin: true };

  it("get, discover and watch leave lease_id empty; register and heartbeat return it", async () => {
    const reg = new ServiceRegistry({ sweepIntervalMs: 0 });
    try {
      const lease = reg.register(info("a"), 5000, alice);
      expect(reg.get("a")!.lease!.leaseId).toBe("");
      expect(reg.discover().services[0]!.lease!.leaseId).toBe("");
      const w = reg.watch();
      expect((await w.next()).value!.registration!.lease!.leaseId).toBe("");
      w.close();
      expect(reg.heartbeat(lease.leaseId, alice).leaseId).toBe(lease.leaseId);
    } finally {
      reg.close();
    }
  });

  it("heartbeat: owner and admin renew, another principal is refused, the engine unchecked", () => {
    let t = 1_000_000;
    const reg = new ServiceRegistry({ sweepIntervalMs: 0, now: () => t, reservedServiceIds: ["engine"] });
    try {
      const lease = reg.register(info("a"), 2000, alice);
      t += 1500;
      expect(reasonOf(() => reg.heartbeat(lease.leaseId, bob))).toBe("SECURITY_VIOLATION");
      t += 1000; // bob's refused heartbeat renewed nothing
      expect(reg.get("a")).toBeUndefined();

      const kept = reg.register(info("b"), 2000, alice);
      expect(reasonOf(() => reg.heartbeat(kept.leaseId, alice))).toBeUndefined();
      expect(reasonOf(() => reg.heartbeat(kept.leaseId, root))).toBeUndefined();

      // The engine's own registration: no caller may renew it, not even admin; the engine may.
      const self = registerSelf(reg, info("engine"), 3000);
      expect(reasonOf(() => reg.heartbeat(self.lease!.leaseId, root))).toBe("SECURITY_VIOLATION");
      expect(reasonOf(() => reg.heartbeat(self.lease!.leaseId))).toBeUndefined();
      self.stop();
    } finally {
      reg.close();
    }
  });

  it("a registration stored before owners were recorded still renews for its lease holder", () => {
    const store = new MemoryRegistryStore();
    const now = Date.now();
    store.save({ info: info("legacy"), leaseId: "legacy-lease", ttlMs: 60_000, expiresAtMs: now + 60_000, registeredAtMs: now, lastHeartbeatAtMs: now });
    const reg = new ServiceRegistry({ sweepIntervalMs: 0, store });
    try {
      expect(reasonOf(() => reg.heartbeat("legacy-lease", bob))).toBeUndefined();
      expect(reasonOf(() => reg.deregister("legacy", "", bob))).toBe("SECURITY_VIOLATION");
    } finally {
      reg.close();
    }
  });
});
