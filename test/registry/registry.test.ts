import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  ChangeKind,
  ServiceInfoSchema,
  type ServiceInfo,
  type WatchServicesResponse,
} from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { EventBus } from "../../src/events/index.ts";
import {
  RegistryError,
  ServiceRegistry,
  SqliteRegistryStore,
  endpointProblem,
  healthUrlProblem,
  type RegistryWatch,
  type ServiceRegistryOptions,
} from "../../src/registry/index.ts";

const info = (id: string, type = "scriptengine", extra: Partial<ServiceInfo> = {}): ServiceInfo =>
  create(ServiceInfoSchema, {
    serviceId: id,
    serviceType: type,
    version: "1.0.0",
    endpoint: "127.0.0.1:50051",
    healthCheckUrl: "http://127.0.0.1:8080/healthz",
    metadata: { zone: "a" },
    ...extra,
  });

class FakeClock {
  t = 1_700_000_000_000;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

const open: ServiceRegistry[] = [];
function makeRegistry(opts: ServiceRegistryOptions = {}): ServiceRegistry {
  const r = new ServiceRegistry({ sweepIntervalMs: 0, ...opts });
  open.push(r);
  return r;
}
afterEach(() => {
  for (const r of open.splice(0)) r.close();
});

async function take(w: RegistryWatch, n: number): Promise<WatchServicesResponse[]> {
  const out: WatchServicesResponse[] = [];
  while (out.length < n) {
    const r = await Promise.race([
      w.next(),
      new Promise<"timeout">((res) => setTimeout(() => res("timeout"), 2000)),
    ]);
    if (r === "timeout") throw new Error(`timed out after ${out.length}/${n}`);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}
const summary = (ms: WatchServicesResponse[]) => ms.map((m) => [ChangeKind[m.kind], m.registration?.service?.serviceId]);

function reasonOf(fn: () => unknown): { reason: string; field?: string } | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return { reason: (e as RegistryError).reason, field: (e as RegistryError).field };
  }
  return undefined;
}

describe("ServiceRegistry", () => {
  it("registers and discovers by type", () => {
    const clock = new FakeClock();
    const reg = makeRegistry({ now: clock.now });
    const lease = reg.register(info("a"), 10_000);
    reg.register(info("b", "worker"));
    reg.register(info("c"));
    expect(lease.serviceId).toBe("a");
    expect(lease.leaseId).not.toBe("");
    expect(Number(lease.ttl?.seconds)).toBe(10);
    expect(timestampMs(lease.expiresAt!)).toBe(clock.t + 10_000);
    const found = reg.discover("scriptengine");
    expect(found.services.map((s) => s.service?.serviceId)).toEqual(["a", "c"]);
    expect(found.nextPageToken).toBe("");
    expect(found.services[0].service?.metadata).toEqual({ zone: "a" });
    expect(reg.discover("").services).toHaveLength(3);
    expect(reg.discover("nothing").services).toHaveLength(0);
    expect(timestampMs(reg.get("b")!.lease!.expiresAt!)).toBe(clock.t + 30_000); // default TTL
  });

  it("paginates with opaque tokens bound to the type", () => {
    const reg = makeRegistry();
    for (let i = 0; i < 7; i++) reg.register(info(`svc-${i}`));
    reg.register(info("other", "worker"));
    const ids: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = reg.discover("scriptengine", 3, token);
      ids.push(...page.services.map((s) => s.service!.serviceId));
      token = page.nextPageToken;
      pages++;
    } while (token !== "");
    expect(pages).toBe(3);
    expect(ids).toEqual(["svc-0", "svc-1", "svc-2", "svc-3", "svc-4", "svc-5", "svc-6"]);
    const first = reg.discover("scriptengine", 3);
    expect(reasonOf(() => reg.discover("worker", 3, first.nextPageToken))).toEqual({
      reason: "VALIDATION_ERROR",
      field: "page_token",
    });
    expect(reasonOf(() => reg.discover("", 3, "garbage!"))?.field).toBe("page_token");
    expect(reasonOf(() => reg.discover("", -1))?.field).toBe("page_size");
  });

  it("re-registering the same id updates it, never duplicates, and revokes the old lease", () => {
    const clock = new FakeClock();
    const bus = new EventBus();
    const reg = makeRegistry({ now: clock.now, events: bus });
    const l1 = reg.register(info("a", "scriptengine", { version: "1" }));
    clock.advance(1000);
    const l2 = reg.register(info("a", "scriptengine", { version: "2" }));
    expect(l2.leaseId).not.toBe(l1.leaseId);
    const all = reg.discover("").services;
    expect(all).toHaveLength(1);
    expect(all[0].service?.version).toBe("2");
    expect(timestampMs(all[0].registeredAt!)).toBe(clock.t - 1000);
    expect(reasonOf(() => reg.heartbeat(l1.leaseId))?.reason).toBe("LEASE_NOT_FOUND");
    expect(() => reg.heartbeat(l2.leaseId)).not.toThrow();
    const events = bus.retained().map((e) => e.event.case);
    expect(events).toEqual(["serviceRegistered", "serviceRegistered"]);
  });

  it("expires a registration without heartbeats and announces it", () => {
    const clock = new FakeClock();
    const bus = new EventBus();
    const reg = makeRegistry({ now: clock.now, events: bus });
    const kept = reg.register(info("kept"), 5000);
    reg.register(info("dropped"), 5000);
    clock.advance(4000);
    reg.heartbeat(kept.leaseId);
    clock.advance(1500);
    // Not swept yet, but reads already leave it out.
    expect(reg.discover("").services.map((s) => s.service?.serviceId)).toEqual(["kept"]);
    expect(reg.sweep()).toBe(1);
    expect(reg.get("dropped")).toBeUndefined();
    const last = bus.retained().at(-1)!;
    expect(last.event.case).toBe("serviceUnregistered");
    if (last.event.case === "serviceUnregistered") {
      expect(last.event.value.serviceId).toBe("dropped");
      expect(last.event.value.reason).toBe("expired");
    }
    clock.advance(5000);
    expect(reasonOf(() => reg.heartbeat(kept.leaseId))?.reason).toBe("LEASE_NOT_FOUND");
    expect(reg.size).toBe(0);
  });

  it("heartbeat renews from now for the lease's TTL", () => {
    const clock = new FakeClock();
    const reg = makeRegistry({ now: clock.now });
    const l = reg.register(info("a"), 2000);
    for (let i = 0; i < 10; i++) {
      clock.advance(1500);
      const renewed = reg.heartbeat(l.leaseId);
      expect(timestampMs(renewed.expiresAt!)).toBe(clock.t + 2000);
    }
    expect(reg.sweep()).toBe(0);
    expect(reasonOf(() => reg.heartbeat("unknown"))?.reason).toBe("LEASE_NOT_FOUND");
  });

  it("the sweeper timer removes expired leases by itself", async () => {
    const bus = new EventBus();
    const reg = makeRegistry({ sweepIntervalMs: 20, events: bus, ttl: { minMs: 10 } });
    reg.register(info("short"), 30);
    const watch = reg.watch();
    const ms = await take(watch, 3);
    expect(summary(ms)).toEqual([
      ["EXISTING", "short"],
      ["SYNCED", undefined],
      ["EXPIRED", "short"],
    ]);
    expect(reg.size).toBe(0);
  });

  it("deregisters with a reason; unknown ids are SERVICE_NOT_FOUND", () => {
    const bus = new EventBus();
    const reg = makeRegistry({ events: bus });
    reg.register(info("a"));
    reg.deregister("a", "shutdown");
    expect(reg.get("a")).toBeUndefined();
    const last = bus.retained().at(-1)!;
    expect(last.event.case === "serviceUnregistered" && last.event.value.reason).toBe("shutdown");
    expect(reasonOf(() => reg.deregister("a"))?.reason).toBe("SERVICE_NOT_FOUND");
  });

  it("watch sees the snapshot, then register, update, expire and deregister", async () => {
    const clock = new FakeClock();
    const reg = makeRegistry({ now: clock.now });
    reg.register(info("existing"));
    reg.register(info("other-type", "worker"));
    const all = reg.watch();
    const typed = reg.watch("scriptengine");
    reg.register(info("new"), 1000);
    reg.register(info("existing", "scriptengine", { version: "2" }));
    reg.register(info("w2", "worker"));
    clock.advance(1001);
    reg.sweep();
    reg.deregister("existing", "bye");
    const got = await take(typed, 6);
    expect(summary(got)).toEqual([
      ["EXISTING", "existing"],
      ["SYNCED", undefined],
      ["REGISTERED", "new"],
      ["UPDATED", "existing"],
      ["EXPIRED", "new"],
      ["DEREGISTERED", "existing"],
    ]);
    expect(summary(await take(all, 8)).map((x) => x.join(":"))).toEqual([
      "EXISTING:existing",
      "EXISTING:other-type",
      "SYNCED:",
      "REGISTERED:new",
      "UPDATED:existing",
      "REGISTERED:w2",
      "EXPIRED:new",
      "DEREGISTERED:existing",
    ]);
    expect(reg.stats().watchers).toBe(2);
    reg.close();
    expect((await typed.next()).done).toBe(true);
    expect(reg.stats().watchers).toBe(0);
  });

  it("moving a registration to another type looks like a removal to watchers of the old type", async () => {
    const reg = makeRegistry();
    reg.register(info("a", "t1"));
    const w1 = reg.watch("t1");
    const w2 = reg.watch("t2");
    reg.register(info("a", "t2"));
    expect(summary(await take(w1, 3))).toEqual([
      ["EXISTING", "a"],
      ["SYNCED", undefined],
      ["DEREGISTERED", "a"],
    ]);
    expect(summary(await take(w2, 2))).toEqual([
      ["SYNCED", undefined],
      ["REGISTERED", "a"],
    ]);
  });

  it("a watch ends on abort or break and frees itself; a lagging one gets EVENTS_LOST", async () => {
    const reg = makeRegistry({ watchBuffer: 3 });
    const ac = new AbortController();
    const w = reg.watch("", { signal: ac.signal });
    const loop = (async () => {
      const seen: WatchServicesResponse[] = [];
      for await (const m of w) seen.push(m);
      return seen;
    })();
    reg.register(info("a"));
    await new Promise((r) => setImmediate(r));
    ac.abort();
    expect(summary(await loop)).toEqual([
      ["SYNCED", undefined],
      ["REGISTERED", "a"],
    ]);
    expect(reg.stats().watchers).toBe(0);

    const slow = reg.watch();
    for (let i = 0; i < 5; i++) reg.register(info(`s${i}`));
    expect(reg.stats().watchers).toBe(0);
    await expect(slow.next()).rejects.toMatchObject({ reason: "EVENTS_LOST" });

    const b = reg.watch();
    for await (const m of b) {
      expect(m.kind).toBe(ChangeKind.EXISTING);
      break;
    }
    expect(reg.stats().watchers).toBe(0);
  });

  it("rejects invalid registrations naming the field", () => {
    const reg = makeRegistry();
    const f = (i: Partial<ServiceInfo>, ttl?: number) => reasonOf(() => reg.register(info("x", "t", i), ttl))?.field;
    expect(f({ endpoint: "" })).toBe("service.endpoint");
    expect(f({ endpoint: "localhost" })).toBe("service.endpoint");
    expect(f({ endpoint: "localhost:0" })).toBe("service.endpoint");
    expect(f({ endpoint: "localhost:65536" })).toBe("service.endpoint");
    expect(f({ endpoint: "::1:80" })).toBe("service.endpoint");
    expect(f({ endpoint: "300.1.1.1:80" })).toBe("service.endpoint");
    expect(f({ endpoint: "bad_host:80" })).toBe("service.endpoint");
    expect(f({ endpoint: "http://h:80" })).toBe("service.endpoint");
    expect(f({ healthCheckUrl: "ftp://h/health" })).toBe("service.health_check_url");
    expect(f({ healthCheckUrl: "not a url" })).toBe("service.health_check_url");
    expect(f({ healthCheckUrl: "https://user:pw@h/health" })).toBe("service.health_check_url");
    expect(f({ serviceId: "" })).toBe("service.service_id");
    expect(f({ serviceId: "x".repeat(129) })).toBe("service.service_id");
    expect(f({ serviceId: "has space" })).toBe("service.service_id");
    expect(f({ serviceType: "" })).toBe("service.service_type");
    expect(f({ metadata: { k: "v".repeat(2000) } })).toBe("service.metadata");
    expect(f({}, 500)).toBe("ttl");
    expect(f({}, 3_600_001)).toBe("ttl");
    expect(reasonOf(() => reg.register(undefined as unknown as ServiceInfo))?.field).toBe("service");
    expect(reg.size).toBe(0);
  });

  it("accepts hostnames, IPv4 and bracketed IPv6 endpoints and http(s) URLs", () => {
    for (const ok of ["localhost:1", "engine-1.prod.example.com:50051", "10.0.0.1:65535", "[::1]:8080", "[2001:db8::7]:443"]) {
      expect(endpointProblem(ok), ok).toBeNull();
    }
    expect(healthUrlProblem("http://[::1]:8080/healthz")).toBeNull();
    expect(healthUrlProblem("https://example.com/h?x=1")).toBeNull();
    const reg = makeRegistry();
    expect(() => reg.register(info("ok", "t", { healthCheckUrl: "" }))).not.toThrow(); // no health check
  });
});

describe("ServiceRegistry persistence (node:sqlite)", () => {
  let dir = "";
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = "";
  });

  it("a restart keeps live registrations and sweeps expired ones", () => {
    dir = mkdtempSync(join(tmpdir(), "registry-"));
    const file = join(dir, "data", "engine.db");
    const clock = new FakeClock();
    const store1 = new SqliteRegistryStore(file);
    const reg1 = makeRegistry({ now: clock.now, store: store1 });
    const long = reg1.register(info("long", "scriptengine", { metadata: { a: "1", b: "2" } }), 60_000);
    reg1.register(info("short"), 2_000);
    reg1.register(info("updated", "scriptengine", { version: "1" }), 60_000);
    reg1.register(info("updated", "scriptengine", { version: "2" }), 60_000);
    reg1.register(info("gone"), 60_000);
    reg1.deregister("gone");
    reg1.close();
    store1.close();

    clock.advance(5_000);
    const bus = new EventBus();
    const store2 = new SqliteRegistryStore(file);
    const reg2 = makeRegistry({ now: clock.now, store: store2, events: bus });
    expect(reg2.discover("").services.map((s) => s.service?.serviceId)).toEqual(["long", "updated"]);
    expect(reg2.get("long")?.service?.metadata).toEqual({ a: "1", b: "2" });
    expect(reg2.get("updated")?.service?.version).toBe("2");
    // The expired one was announced and removed from the file too.
    const ev = bus.retained();
    expect(ev).toHaveLength(1);
    expect(ev[0].event.case === "serviceUnregistered" && ev[0].event.value.serviceId).toBe("short");
    expect(store2.load().map((r) => r.info.serviceId)).toEqual(["long", "updated"]);
    // The lease survives the restart.
    expect(() => reg2.heartbeat(long.leaseId)).not.toThrow();
    store2.close();
  });

  it("commits a heartbeat's renewal without a sync of its own, on a database that syncs every commit", async () => {
    const { DatabaseSync } = await import("node:sqlite");
    dir = mkdtempSync(join(tmpdir(), "registry-"));
    const db = new DatabaseSync(join(dir, "engine.db"));
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
    const levels: string[] = [];
    const exec = db.exec.bind(db);
    db.exec = (sql: string) => { if (/synchronous =/.test(sql)) levels.push(sql.trim()); return exec(sql); };
    const store = new SqliteRegistryStore(db);
    const clock = new FakeClock();
    const reg = makeRegistry({ store, now: clock.now });
    const lease = reg.register(info("a"), 60_000);
    expect(levels).toEqual([]); // a registration is synced as every commit is
    clock.advance(1_000);
    reg.heartbeat(lease.leaseId);
    expect(levels).toEqual(["PRAGMA synchronous = NORMAL", "PRAGMA synchronous = 2"]);
    expect((db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous).toBe(2);
    expect(store.load().map((r) => r.lastHeartbeatAtMs)).toEqual([clock.t]); // kept all the same
    db.close();
  });

  it("shares an open database and keeps its own table", async () => {
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(":memory:");
    db.exec("CREATE TABLE other (x INTEGER)");
    const store = new SqliteRegistryStore(db);
    const reg = makeRegistry({ store });
    reg.register(info("a"));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables.map((t) => t.name)).toEqual(["other", "registry_registrations"]);
    store.close(); // not ours to close
    expect(db.isOpen).toBe(true);
    db.close();
  });
});
