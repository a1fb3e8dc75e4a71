// events.subscribers_bytes is shared by every principal, so when it is exceeded the principal
// (subscription owner) whose buffers hold the most of what the log let go pays first, its biggest
// buffer first: one principal's many paused streams, each smaller than another principal's one
// buffer, must not cost that other principal its events. The per-owner counts are kept as events
// are queued, let go by the log and read, and must match a count from scratch at every step.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { EventBus, type Subscription } from "../../src/events/index.ts";
import { drain } from "../helpers/subscription-lines.ts";

const EVENTS: Record<string, () => ServiceEvent> = {
  script_compiled: () => create(ServiceEventSchema, { event: { case: "scriptCompiled", value: { scriptId: "s", success: true } } }),
  health_status_changed: () => create(ServiceEventSchema, { event: { case: "healthStatusChanged", value: { serviceId: "h" } } }),
  service_unregistered: () => create(ServiceEventSchema, { event: { case: "serviceUnregistered", value: { serviceId: "u" } } }),
  migration_started: () => create(ServiceEventSchema, { event: { case: "migrationStarted", value: { toolName: "t" } } }),
};
const TYPES = Object.keys(EVENTS);

/** The running counts equal a count from scratch, none negative, and the total within the budget. */
function expectExact(bus: EventBus, budget: number): void {
  const recount = bus.recountHeldBytes();
  const byOwner = bus.heldBytesByOwner();
  expect(bus.stats().heldBytes).toBe(recount.total);
  expect(byOwner).toEqual(recount.byOwner);
  for (const held of byOwner.values()) expect(held).toBeGreaterThanOrEqual(0);
  expect(recount.total).toBeLessThanOrEqual(budget);
}

describe("subscribers_bytes shared between principals", () => {
  it("sheds the streams of the principal holding the most, not another principal's bigger single buffer", async () => {
    const budget = 10_000;
    const bus = new EventBus({ logBytes: 2_000, subscriberBufferBytes: 100_000, subscribersBytes: budget });
    const victim = bus.subscribe({ owner: "victim", eventTypes: ["script_compiled"] });
    for (let i = 0; i < 4; i++) bus.append(EVENTS.script_compiled!(), 1_000);
    // The log keeps 3 and 4: the victim's buffer holds 1 and 2 beyond it, and soon all four, under
    // half the budget.
    expect(bus.heldBytesByOwner().get("victim")).toBe(2_000);
    // Three paused streams of another principal, each holding fewer than the victim's one buffer.
    const att = ["health_status_changed", "service_unregistered", "migration_started"].map((t) => {
      const sub = bus.subscribe({ owner: "att", eventTypes: [t] });
      for (let i = 0; i < 3; i++) {
        bus.append(EVENTS[t]!(), 1_000);
        expectExact(bus, budget);
      }
      return sub;
    });
    // The victim's four events were let go; only the attacker's buffers were shed.
    expect(await drain(victim)).toEqual(["started", "event 1", "event 2", "event 3", "event 4"]);
    const got = await Promise.all(att.map(drain));
    expect(got.flat().filter((m) => m.startsWith("lost LAGGED")).length).toBeGreaterThan(0);
    // At 13 the attacker held 7 000 of 11 000: one of its two biggest streams went, which was enough.
    expect(got.map((g) => g.length)).toEqual([2, 4, 4]);
    expect(got[0]).toEqual(["started", "lost LAGGED 3 5..7"]);
    expectExact(bus, budget);
    expect(bus.stats().heldBytes).toBe(0);
    for (const s of [victim, ...att]) s.close();
    expect(bus.heldBytesByOwner()).toEqual(new Map());
  });

  it("sheds the top principal only while it holds the most, then the one that does", async () => {
    const budget = 6_000;
    const bus = new EventBus({ logBytes: 1_000, subscriberBufferBytes: 100_000, subscribersBytes: budget });
    const a1 = bus.subscribe({ owner: "a", eventTypes: ["script_compiled"] });
    const a2 = bus.subscribe({ owner: "a", eventTypes: ["health_status_changed"] });
    const b = bus.subscribe({ owner: "b", eventTypes: ["service_unregistered"] });
    const publish = (t: string, n: number, bytes: number) => {
      for (let i = 0; i < n; i++) bus.append(EVENTS[t]!(), bytes);
    };
    publish("script_compiled", 2, 1_000); // 1, 2
    publish("health_status_changed", 1, 1_000); // 3
    publish("service_unregistered", 3, 1_000); // 4..6
    // Let go: a holds 1..3 (3 000), b 4..5 (2 000); 6 is in the log.
    expect(bus.heldBytesByOwner()).toEqual(new Map([["a", 3_000], ["b", 2_000]]));
    publish("script_compiled", 1, 2_000); // 7: 6 leaves, 6 000 held; then 8 pushes it over
    publish("script_compiled", 1, 1_000); // 8: 7 leaves: a 5 000, b 3 000, 8 000 > 6 000
    // a's biggest (a1: 1, 2, 7) goes; a then holds 1 000, under b's 3 000, and the total 4 000 fits.
    expect(await drain(a1)).toEqual(["started", "lost LAGGED 4 1..8"]);
    expect(await drain(a2)).toEqual(["started", "event 3"]);
    expect(await drain(b)).toEqual(["started", "event 4", "event 5", "event 6"]);
    expectExact(bus, budget);
  });

  it("charges an event held by several of one principal's streams once to it, and once to each other principal", () => {
    const bus = new EventBus({ logBytes: 1_000, subscriberBufferBytes: 100_000, subscribersBytes: 100_000 });
    const subs = [bus.subscribe({ owner: "a" }), bus.subscribe({ owner: "a" }), bus.subscribe({ owner: "b" }), bus.subscribe()];
    for (let i = 0; i < 4; i++) bus.append(EVENTS.script_compiled!(), 1_000);
    expect(bus.stats().heldBytes).toBe(3_000);
    expect(bus.heldBytesByOwner()).toEqual(new Map([["a", 3_000], ["b", 3_000], [undefined, 3_000]]));
    subs[0]!.close();
    expect(bus.heldBytesByOwner().get("a")).toBe(3_000);
    subs[1]!.close();
    expect(bus.heldBytesByOwner().has("a")).toBe(false);
    expect(bus.stats().heldBytes).toBe(3_000);
    subs[2]!.close();
    subs[3]!.close();
    expect(bus.stats().heldBytes).toBe(0);
    expect(bus.heldBytesByOwner()).toEqual(new Map());
  });

  it("keeps every count exact through subscribing, publishing, reading, shedding, lag and ending (random)", async () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const owners = ["a", "b", "c", undefined];
    for (const onLag of ["notify", "disconnect"] as const) {
      const budget = 20_000;
      const bus = new EventBus({ logSize: 8, logBytes: 6_000, subscriberBuffer: 12, subscriberBufferBytes: 9_000, subscribersBytes: budget, onLag });
      const subs: { sub: Subscription; abort: AbortController }[] = [];
      for (let step = 0; step < 4_000; step++) {
        const r = rand(100);
        if (r < 8 && subs.length < 30) {
          const abort = new AbortController();
          const types = rand(3) === 0 ? [] : [TYPES[rand(TYPES.length)]!];
          const after = rand(4) === 0 ? { afterSequence: Math.max(0, Number(bus.latestSequence) - rand(10)) } : {};
          subs.push({ sub: bus.subscribe({ owner: owners[rand(owners.length)], eventTypes: types, signal: abort.signal, ...after }), abort });
        } else if (r < 12 && subs.length > 0) {
          const [gone] = subs.splice(rand(subs.length), 1);
          if (rand(2) === 0) gone!.sub.close();
          else gone!.abort.abort();
        } else if (r < 55) {
          bus.append(EVENTS[TYPES[rand(TYPES.length)]!]!(), 1 + rand(3_000));
        } else if (subs.length > 0) {
          const { sub } = subs[rand(subs.length)]!;
          for (let n = rand(5); n > 0 && sub.buffered > 0; n--) await sub.next().catch(() => undefined);
        }
        expectExact(bus, budget);
      }
      for (const { sub } of subs) sub.close();
      expect(bus.stats().heldBytes).toBe(0);
      expect([...bus.heldBytesByOwner().values()].every((v) => v === 0)).toBe(true);
      expect(bus.stats().laggedEvents).toBeGreaterThan(0);
    }
  });
});
