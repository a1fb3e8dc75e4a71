// An expiry a full disk refused the row removal of holds in memory (announced at once); its row
// stayed for the whole run and was announced again by the next start. Now the row is removed at a
// later sweep once the store takes it, a registration made again meanwhile is left alone, and the
// registry-expired record lets the next start remove a row still kept without announcing it.
import { closeSync, mkdtempSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { ServiceInfoSchema } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { MemoryRegistryStore, ServiceRegistry, type RegistrationRecord } from "../../src/registry/index.ts";
import { CAPACITY, openExpiredMarks } from "../../src/registry/expired-marks.ts";
import { storeFaultOf } from "../../src/store/faults.ts";

/** A real SQLite error of a database with no room left (max_page_count). */
const FULL = (() => {
  const db = new DatabaseSync(":memory:");
  try {
    db.exec("CREATE TABLE t (x BLOB); PRAGMA max_page_count = 2; INSERT INTO t VALUES (zeroblob(100000))");
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error("no error");
})();

class FullableStore extends MemoryRegistryStore {
  full = false;
  override save(record: RegistrationRecord): void {
    if (this.full) throw FULL;
    super.save(record);
  }
  override remove(serviceId: string): void {
    if (this.full) throw FULL;
    super.remove(serviceId);
  }
}

let t = 1_700_000_000_000;
const open: ServiceRegistry[] = [];
afterEach(() => open.splice(0).forEach((r) => r.close()));

function registry(store: FullableStore, dataDir: string) {
  const unregistered: string[] = [];
  const r = new ServiceRegistry({
    store,
    now: () => t,
    sweepIntervalMs: 0,
    storeFull: (err) => storeFaultOf(err) === "full",
    expiredMarks: openExpiredMarks(dataDir),
    events: { publish: (e: ServiceEvent) => (e.event.case === "serviceUnregistered" && unregistered.push(`${e.event.value.serviceId} ${e.event.value.reason}`), 1n) },
  });
  open.push(r);
  return { r, unregistered };
}
const info = (id: string) => create(ServiceInfoSchema, { serviceId: id, serviceType: "worker", endpoint: "127.0.0.1:9000" });
const ids = (store: FullableStore) => store.load().map((r) => r.info.serviceId).sort();

it("a kept row is removed at a sweep once there is room; a registration made again meanwhile stays", () => {
  const dir = mkdtempSync(join(tmpdir(), "se-kept-"));
  const store = new FullableStore();
  const { r, unregistered } = registry(store, dir);
  r.register(info("a"), 1_000);
  r.register(info("b"), 1_000);
  store.full = true;
  t += 2_000;
  expect(r.sweep()).toBe(2);
  expect(unregistered).toEqual(["a expired", "b expired"]);
  expect(ids(store)).toEqual(["a", "b"]);
  store.full = false;
  r.register(info("b"), 10_000); // overwrites b's kept row
  r.sweep();
  expect(ids(store)).toEqual(["b"]);
  expect(r.get("b")).toBeDefined();
  expect(unregistered).toEqual(["a expired", "b expired"]);
  expect(openExpiredMarks(dir).any).toBe(false);
});

it("a row still kept at a restart is removed by the next start without a second announcement", () => {
  const dir = mkdtempSync(join(tmpdir(), "se-kept-"));
  const store = new FullableStore();
  const first = registry(store, dir);
  first.r.register(info("a"), 1_000);
  first.r.register(info("live"), 60_000);
  store.full = true;
  t += 2_000;
  first.r.sweep();
  expect(first.unregistered).toEqual(["a expired"]);
  first.r.close();

  // Still full at the next start: nothing announced again, the row kept still.
  const second = registry(store, dir);
  expect(second.unregistered).toEqual([]);
  expect(ids(store)).toEqual(["a", "live"]);
  second.r.close();
  // Room: removed, still not announced; an unmarked expired row (expired while down) is announced.
  store.full = false;
  t += 60_000;
  const third = registry(store, dir);
  expect(third.unregistered).toEqual(["live expired"]);
  expect(ids(store)).toEqual([]);
});

it("the record holds CAPACITY marks; a torn slot leaves the other", () => {
  const dir = mkdtempSync(join(tmpdir(), "se-kept-"));
  const marks = openExpiredMarks(dir);
  const leases = Array.from({ length: CAPACITY + 5 }, (_, i) => ({ serviceId: `s${i}`, leaseId: `l${i}` }));
  marks.record(leases.slice(0, 3));
  marks.record(leases);
  const again = openExpiredMarks(dir);
  expect(again.announced(leases[0]!)).toBe(true);
  expect(again.announced(leases[CAPACITY - 1]!)).toBe(true);
  expect(again.announced(leases[CAPACITY]!)).toBe(false);
  expect(again.announced({ serviceId: "s0", leaseId: "other" })).toBe(false);
  // The latest write torn (its slot's bytes changed): the one before it is read.
  const fd = openSync(join(dir, "registry-expired"), "r+");
  writeSync(fd, Buffer.from([0xff]), 0, 1, 100);
  closeSync(fd);
  const torn = openExpiredMarks(dir);
  expect([torn.announced(leases[2]!), torn.announced(leases[3]!)]).toEqual([true, false]);
});
