// The engine's disk fills: every heartbeat was refused (RESOURCE_EXHAUSTED, as its row could not be
// rewritten), so every live service expired within its TTL although it kept renewing, and the sweeper
// threw at the first expired row each second (no EXPIRED to watchers, the expired count rising each
// time). A renewal and an expiry now hold in memory when the store is full; other failures still throw.
import { DatabaseSync } from "node:sqlite";
import { afterEach, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ChangeKind, ServiceInfoSchema } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { MemoryRegistryStore, ServiceRegistry, registerSelf, type RegistrationRecord } from "../../src/registry/index.ts";
import { storeFaultOf } from "../../src/store/faults.ts";
import { until } from "../helpers/until.ts";

/** A real SQLite error: a write into a database with no room left (max_page_count). */
function sqliteError(sql: string): unknown {
  const db = new DatabaseSync(":memory:");
  try {
    db.exec("CREATE TABLE t (x BLOB); PRAGMA max_page_count = 2");
    db.exec(sql);
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error("no error");
}
const FULL = sqliteError("INSERT INTO t VALUES (zeroblob(100000))");
const OTHER = sqliteError("INSERT INTO nope VALUES (1)");

/** Refuses every write with `failing` while set. */
class FailingStore extends MemoryRegistryStore {
  failing: unknown;
  override save(record: RegistrationRecord): void {
    if (this.failing) throw this.failing;
    super.save(record);
  }
  override remove(serviceId: string): void {
    if (this.failing) throw this.failing;
    super.remove(serviceId);
  }
}

let t = 1_700_000_000_000;
const open: ServiceRegistry[] = [];
afterEach(() => open.splice(0).forEach((r) => r.close()));
function registry(store: FailingStore): ServiceRegistry {
  const r = new ServiceRegistry({ store, now: () => t, sweepIntervalMs: 0, storeFull: (err) => storeFaultOf(err) === "full" });
  open.push(r);
  return r;
}
const info = (id: string) => create(ServiceInfoSchema, { serviceId: id, serviceType: "worker", endpoint: "127.0.0.1:9000" });

it("a full store: heartbeats keep a live service, an unrenewed one still expires and is announced", async () => {
  expect(storeFaultOf(FULL)).toBe("full");
  const store = new FailingStore();
  const reg = registry(store);
  const live = reg.register(info("live"), 10_000);
  reg.register(info("idle"), 10_000);
  const watch = reg.watch("worker");
  store.failing = FULL;
  for (let i = 0; i < 5; i++) {
    t += 5_000;
    expect(reg.heartbeat(live.leaseId).serviceId).toBe("live");
    expect(() => reg.sweep()).not.toThrow();
  }
  expect(reg.discover("worker").services.map((s) => s.service?.serviceId)).toEqual(["live"]);
  expect(reg.stats().expired).toBe(1);
  const kinds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const m = await watch.next();
    kinds.push(`${ChangeKind[m.value!.kind]} ${m.value!.registration?.service?.serviceId}`);
  }
  expect(kinds).toEqual(["EXISTING idle", "EXISTING live", "SYNCED undefined", "EXPIRED idle"]);
  // Room again: the next renewal is stored.
  store.failing = undefined;
  t += 1_000;
  reg.heartbeat(live.leaseId);
  expect(store.load().find((r) => r.info.serviceId === "live")?.expiresAtMs).toBe(t + 10_000);
});

it("another store failure still fails the heartbeat and the sweep", () => {
  expect(storeFaultOf(OTHER)).toBeUndefined();
  const store = new FailingStore();
  const reg = registry(store);
  const lease = reg.register(info("a"), 10_000);
  store.failing = OTHER;
  expect(() => reg.heartbeat(lease.leaseId)).toThrow(/no such table/);
  t += 20_000;
  expect(() => reg.sweep()).toThrow(/no such table/);
  expect(reg.stats().expired).toBe(0);
});

// The engine's own registration failing at start (the store full) was logged once and never tried
// again: the engine stayed out of discovery for its whole run, room or not.
it("the engine's own registration refused at start is made at a renewal once the store takes it", async () => {
  const store = new FailingStore();
  const reg = new ServiceRegistry({ store, sweepIntervalMs: 0 });
  open.push(reg);
  store.failing = FULL;
  const heard: unknown[] = [];
  const self = registerSelf(reg, info("engine"), 1500, (err) => heard.push(err));
  try {
    expect([self.lease, heard]).toEqual([undefined, [FULL]]);
    store.failing = undefined;
    const lease = await until("the engine is registered", () => self.lease);
    expect(reg.discover("worker").services.map((s) => s.service?.serviceId)).toEqual(["engine"]);
    expect(store.load().map((r) => r.leaseId)).toEqual([lease.leaseId]);
  } finally {
    self.stop();
  }
  // A registration refused for what it says (not the store) still fails the start of it.
  expect(() => registerSelf(reg, create(ServiceInfoSchema, { serviceId: "", serviceType: "worker" }), 1500)).toThrow(/service_id/);
});
