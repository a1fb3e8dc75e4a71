import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { LossReason, type SubscribeResponse } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { EventBus, EventsError, EVENT_TYPES, type Subscription } from "../../src/events/index.ts";

const executed = (scriptId = "s1"): ServiceEvent =>
  create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId, executionId: "x" } } });
const violation = (kind = "escape_attempt"): ServiceEvent =>
  create(ServiceEventSchema, { event: { case: "securityViolation", value: { kind } } });
const compiled = (): ServiceEvent =>
  create(ServiceEventSchema, { event: { case: "scriptCompiled", value: { scriptId: "c", success: true } } });

/** Reads n messages, failing after a timeout instead of hanging. */
async function take(sub: Subscription, n: number, timeoutMs = 2000): Promise<SubscribeResponse[]> {
  const out: SubscribeResponse[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const r = await Promise.race([
      sub.next(),
      new Promise<"timeout">((res) => setTimeout(() => res("timeout"), Math.max(1, deadline - Date.now()))),
    ]);
    if (r === "timeout") throw new Error(`timed out after ${out.length}/${n} messages`);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** Reads until the iterator ends. */
async function drain(sub: Subscription): Promise<SubscribeResponse[]> {
  const out: SubscribeResponse[] = [];
  for await (const m of sub) out.push(m);
  return out;
}

const seqs = (ms: SubscribeResponse[]): number[] =>
  ms.flatMap((m) => (m.message.case === "event" ? [Number(m.message.value.sequence)] : []));

const lost = (m: SubscribeResponse | undefined) => {
  if (m?.message.case !== "lost") throw new Error(`expected lost, got ${m?.message.case}`);
  const v = m.message.value;
  return {
    reason: v.reason,
    missed: Number(v.missedCount),
    first: Number(v.firstMissedSequence),
    last: Number(v.lastMissedSequence),
  };
};

const tick = () => new Promise((r) => setImmediate(r));

describe("EventBus publish", () => {
  it("assigns strictly increasing sequences, timestamps, ids and source without touching the input", () => {
    let id = 0;
    const bus = new EventBus({ now: () => 1_700_000_000_000, newId: () => `id-${++id}`, source: "engine-1" });
    const input = executed();
    expect(bus.publish(input)).toBe(1n);
    expect(bus.publish(executed())).toBe(2n);
    const given = executed();
    given.eventId = "mine";
    given.source = "other";
    given.timestamp = timestampFromMs(5000);
    const stored = bus.append(given);
    expect(stored.sequence).toBe(3n);
    expect(stored.eventId).toBe("mine");
    expect(stored.source).toBe("other");
    expect(stored.timestamp?.seconds).toBe(5n);
    expect(input.sequence).toBe(0n);
    expect(input.eventId).toBe("");
    const [first] = bus.retained();
    expect(first.eventId).toBe("id-1");
    expect(first.source).toBe("engine-1");
    expect(first.timestamp?.seconds).toBe(1_700_000_000n);
    expect(bus.latestSequence).toBe(3n);
    expect(bus.oldestSequence).toBe(1n);
  });

  it("keeps publishing when its sequence reservation cannot be written, and tries again on the next event", () => {
    let failing = true;
    const reserved: number[] = [];
    const errors: unknown[] = [];
    const bus = new EventBus({
      onReserve: (upTo) => {
        if (failing) throw new Error("database or disk is full");
        reserved.push(upTo);
      },
      onReserveError: (err) => errors.push(err),
    });
    expect(bus.publish(executed())).toBe(1n);
    expect(bus.publish(executed())).toBe(2n);
    expect(errors.map(String)).toEqual(["Error: database or disk is full"]); // told once per failing spell
    failing = false;
    expect(bus.publish(executed())).toBe(3n);
    expect(reserved).toEqual([3 + 10_000 - 1]);
    expect(bus.publish(executed())).toBe(4n);
    expect(reserved).toHaveLength(1);
  });

  it("finds a retained event by the id its publisher gave, until it leaves the log", () => {
    const bus = new EventBus({ logSize: 3 });
    const given = executed();
    given.eventId = "mine";
    const stored = bus.append(given);
    expect(bus.retainedById("mine")?.sequence).toBe(stored.sequence);
    expect(bus.retainedById("other")).toBeUndefined();
    for (let i = 0; i < 3; i++) bus.publish(executed());
    expect(bus.retainedById("mine")).toBeUndefined();
  });

  it("rejects an event with no type", () => {
    const bus = new EventBus();
    expect(() => bus.publish(create(ServiceEventSchema, {}))).toThrow(EventsError);
  });

  it("knows every event type in snake_case", () => {
    expect(EVENT_TYPES).toEqual([
      "script_compiled",
      "script_executed",
      "health_status_changed",
      "migration_started",
      "migration_completed",
      "service_registered",
      "service_unregistered",
      "security_violation",
    ]);
  });
});

describe("EventBus subscriptions", () => {
  it("sends started first, then events in order", async () => {
    const bus = new EventBus({ newId: (() => { let i = 0; return () => `sub-${++i}`; })() });
    bus.publish(executed());
    const sub = bus.subscribe();
    for (let i = 0; i < 50; i++) bus.publish(i % 2 ? executed() : compiled());
    const ms = await take(sub, 51);
    expect(ms[0].message.case).toBe("started");
    if (ms[0].message.case === "started") {
      expect(ms[0].message.value.subscriptionId).toBe(sub.id);
      expect(ms[0].message.value.oldestSequence).toBe(1n);
      expect(ms[0].message.value.latestSequence).toBe(1n);
    }
    expect(seqs(ms)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    sub.close();
  });

  it("filters by event type", async () => {
    const bus = new EventBus();
    const sub = bus.subscribe({ eventTypes: ["security_violation", "script_compiled"] });
    bus.publish(executed());
    bus.publish(violation("a"));
    bus.publish(executed());
    bus.publish(compiled());
    bus.publish(violation("b"));
    const ms = await take(sub, 4);
    expect(ms.slice(1).map((m) => (m.message.case === "event" ? m.message.value.event.case : ""))).toEqual([
      "securityViolation",
      "scriptCompiled",
      "securityViolation",
    ]);
    expect(seqs(ms)).toEqual([2, 4, 5]);
  });

  it("rejects an unknown event type, naming it", () => {
    const bus = new EventBus();
    let err: unknown;
    try {
      bus.subscribe({ eventTypes: ["script_executed", "scriptExecuted"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EventsError);
    expect((err as EventsError).reason).toBe("VALIDATION_ERROR");
    expect((err as EventsError).field).toBe("event_types");
    expect((err as EventsError).message).toContain('"scriptExecuted"');
    expect(bus.subscriberCount).toBe(0);
  });

  it("resumes after a sequence without a gap or a duplicate", async () => {
    const bus = new EventBus();
    const first = bus.subscribe();
    for (let i = 0; i < 5; i++) bus.publish(executed());
    const got = await take(first, 6);
    expect(seqs(got)).toEqual([1, 2, 3, 4, 5]);
    first.close(); // disconnect
    for (let i = 0; i < 3; i++) bus.publish(executed());
    const again = bus.subscribe({ afterSequence: 5n });
    bus.publish(executed());
    const ms = await take(again, 5);
    expect(ms[0].message.case).toBe("started");
    expect(seqs(ms)).toEqual([6, 7, 8, 9]);
  });

  it("replays only the requested types on resume", async () => {
    const bus = new EventBus();
    for (let i = 0; i < 6; i++) bus.publish(i % 3 === 0 ? violation() : executed());
    const sub = bus.subscribe({ afterSequence: 1, eventTypes: ["security_violation"] });
    bus.publish(violation());
    expect(seqs(await take(sub, 3))).toEqual([4, 7]);
  });

  it("says plainly what was dropped from the log (RETENTION)", async () => {
    const bus = new EventBus({ logSize: 5 });
    for (let i = 0; i < 20; i++) bus.publish(executed());
    const sub = bus.subscribe({ afterSequence: 3 });
    const ms = await take(sub, 7);
    if (ms[0].message.case !== "started") throw new Error("no started");
    expect(ms[0].message.value.oldestSequence).toBe(16n);
    expect(ms[0].message.value.latestSequence).toBe(20n);
    expect(lost(ms[1])).toEqual({ reason: LossReason.RETENTION, missed: 12, first: 4, last: 15 });
    expect(seqs(ms)).toEqual([16, 17, 18, 19, 20]);
  });

  it("keeps the log under its byte budget too: big events push the oldest out before the count does", async () => {
    const bus = new EventBus({ logSize: 100, logBytes: 100_000 });
    for (let i = 0; i < 5; i++) bus.append(executed(), 40_000); // 200 KB of events in a 100 KB budget
    expect(bus.oldestSequence).toBe(4n); // 4 and 5: 80 KB
    for (let i = 0; i < 3; i++) bus.append(executed()); // small ones fit beside them
    expect(bus.oldestSequence).toBe(4n);
    const sub = bus.subscribe({ afterSequence: 0 });
    const ms = await take(sub, 7);
    expect(lost(ms[1])).toEqual({ reason: LossReason.RETENTION, missed: 3, first: 1, last: 3 });
    expect(seqs(ms)).toEqual([4, 5, 6, 7, 8]);
    // A single event over the whole budget is kept alone (the latest is always retained).
    bus.append(executed(), 500_000);
    expect([bus.oldestSequence, bus.latestSequence]).toEqual([9n, 9n]);
  });

  it("reports events overwritten while a subscriber was still replaying", async () => {
    const bus = new EventBus({ logSize: 5 });
    for (let i = 0; i < 5; i++) bus.publish(executed());
    const sub = bus.subscribe({ afterSequence: 0 });
    for (let i = 0; i < 10; i++) bus.publish(executed()); // 6..15 go to the live buffer; 1..10 leave the log
    const ms = await take(sub, 12);
    expect(ms[0].message.case).toBe("started");
    expect(lost(ms[1])).toEqual({ reason: LossReason.RETENTION, missed: 5, first: 1, last: 5 });
    expect(seqs(ms)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it("live events that find the buffer full during a replay are read from the log after it, not reported lagged", async () => {
    const bus = new EventBus({ logSize: 1000, subscriberBuffer: 4 });
    for (let i = 0; i < 50; i++) bus.publish(executed());
    const sub = bus.subscribe({ afterSequence: 0 });
    expect((await take(sub, 11)).map((m) => m.message.case)).toEqual(["started", ...Array(10).fill("event")]);
    for (let i = 0; i < 20; i++) bus.publish(executed()); // 51..70: 4 fit the buffer, 16 wait in the log
    const ms = await take(sub, 60);
    expect(ms.every((m) => m.message.case === "event")).toBe(true);
    expect(seqs(ms)).toEqual(Array.from({ length: 60 }, (_, i) => i + 11));
    bus.publish(executed()); // caught up: live again
    expect(seqs(await take(sub, 1))).toEqual([71]);
    expect(bus.stats().laggedEvents).toBe(0);
  });

  it("treats an after_sequence beyond the latest as from an earlier process", async () => {
    const bus = new EventBus({ logSize: 3 });
    for (let i = 0; i < 4; i++) bus.publish(executed());
    const sub = bus.subscribe({ afterSequence: 1000n });
    const ms = await take(sub, 5);
    // From a reset store: every number before the oldest retained counts, the count the range's size.
    expect(lost(ms[1])).toEqual({ reason: LossReason.RESTART, missed: 1, first: 1, last: 1 });
    expect(seqs(ms)).toEqual([2, 3, 4]);
    const whole = new EventBus();
    whole.publish(executed());
    // Nothing evicted: what the reset store's run published cannot be known, never reported as nothing.
    expect(lost((await take(whole.subscribe({ afterSequence: 1000n }), 2))[1])).toEqual({ reason: LossReason.RESTART, missed: 1, first: 0, last: 0 });
    // A data directory with earlier runs: their numbers count too, all in the range.
    const later = new EventBus({ firstSequence: 101, logSize: 2 });
    for (let i = 0; i < 3; i++) later.publish(executed());
    expect(lost((await take(later.subscribe({ afterSequence: 1000n }), 2))[1])).toEqual({ reason: LossReason.RESTART, missed: 101, first: 1, last: 101 });
  });

  it("continues sequences from firstSequence, reserving blocks before use", async () => {
    const reserved: number[] = [];
    const bus = new EventBus({ firstSequence: 101, onReserve: (n) => reserved.push(n) });
    expect(bus.latestSequence).toBe(100n);
    for (let i = 0; i < 3; i++) bus.publish(executed());
    expect(reserved).toEqual([10_100]);
    // A client resuming from the previous run is told, then gets everything this run retained.
    const sub = bus.subscribe({ afterSequence: 50n });
    const ms = await take(sub, 5);
    // Nothing says where the run before stopped: all it could have numbered after 50 counts.
    expect(lost(ms[1])).toEqual({ reason: LossReason.RESTART, missed: 50, first: 51, last: 100 });
    expect(seqs(ms)).toEqual([101, 102, 103]);
    // A client already up to date with this run gets no loss message.
    const fresh = await take(bus.subscribe({ afterSequence: 102n }), 2);
    expect(seqs(fresh)).toEqual([103]);
  });

  it("counts what the run before published after a client's sequence: exactly after a clean stop, at most after a crash", async () => {
    const clean = new EventBus({ firstSequence: 10_001, previousRun: { first: 1, last: 60, exact: true } });
    clean.publish(executed());
    const told = async (bus: EventBus, after: bigint) => lost((await take(bus.subscribe({ afterSequence: after }), 2))[1]);
    expect(await told(clean, 50n)).toEqual({ reason: LossReason.RESTART, missed: 10, first: 51, last: 10_000 });
    // Up to date with the run before: nothing missed, and the notice says so.
    expect(await told(clean, 60n)).toEqual({ reason: LossReason.RESTART, missed: 0, first: 0, last: 0 });
    // From a run before that one: every number in between may have been used.
    const older = new EventBus({ firstSequence: 10_001, previousRun: { first: 5001, last: 5060, exact: true } });
    older.publish(executed());
    expect((await told(older, 4000n)).missed).toBe(6000);
    const crashed = new EventBus({ firstSequence: 10_001, previousRun: { first: 1, last: 10_000, exact: false } });
    crashed.publish(executed());
    expect((await told(crashed, 50n)).missed).toBe(9950);
  });

  it("unsubscribe ends the iterator cleanly; unknown ids are reported", async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    const done = drain(sub);
    bus.publish(executed());
    await tick();
    expect(bus.subscriberCount).toBe(1);
    expect(bus.unsubscribe(sub.id)).toBe(true);
    const ms = await done;
    expect(ms[0].message.case).toBe("started");
    expect(bus.subscriberCount).toBe(0);
    expect(bus.unsubscribe(sub.id)).toBe(false);
    expect(bus.unsubscribe("nope")).toBe(false);
    bus.publish(executed()); // nobody left: no error
  });

  it("a slow consumer next to a fast one: the fast gets everything, the slow gets LAGGED with the count", async () => {
    const bus = new EventBus({ subscriberBuffer: 1024 });
    const fast = bus.subscribe();
    const slow = bus.subscribe({ bufferSize: 10 });
    const fastGot: SubscribeResponse[] = [];
    const fastDone = (async () => {
      for await (const m of fast) fastGot.push(m);
    })();
    for (let batch = 0; batch < 10; batch++) {
      for (let i = 0; i < 10; i++) bus.publish(executed());
      await tick(); // let the fast consumer drain; the slow one reads nothing
    }
    expect(seqs(fastGot)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(slow.buffered).toBe(10);
    // The slow one now reads: its 10 buffered events, then what it missed, then it goes on.
    const first = await take(slow, 12);
    expect(seqs(first)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lost(first[11])).toEqual({ reason: LossReason.LAGGED, missed: 90, first: 11, last: 100 });
    bus.publish(executed());
    expect(seqs(await take(slow, 1))).toEqual([101]);
    expect(bus.stats().laggedEvents).toBe(90);
    await tick();
    expect(seqs(fastGot).length).toBe(101);
    bus.close();
    await fastDone;
  });

  it("puts the LAGGED marker in stream order when the buffer frees up", async () => {
    const bus = new EventBus();
    const slow = bus.subscribe({ bufferSize: 3 });
    for (let i = 0; i < 5; i++) bus.publish(executed()); // 1-3 buffered, 4-5 lost
    const a = await take(slow, 3); // started, 1, 2
    expect(seqs(a)).toEqual([1, 2]);
    bus.publish(executed()); // 6: marker goes in before it
    const b = await take(slow, 3);
    expect(seqs([b[0]])).toEqual([3]);
    expect(lost(b[1])).toEqual({ reason: LossReason.LAGGED, missed: 2, first: 4, last: 5 });
    expect(seqs([b[2]])).toEqual([6]);
  });

  it("counts only the events a filtered subscriber missed", async () => {
    const bus = new EventBus();
    const slow = bus.subscribe({ bufferSize: 2, eventTypes: ["security_violation"] });
    for (let i = 0; i < 30; i++) bus.publish(i % 3 === 0 ? violation() : executed()); // violations: 1,4,...,28
    const ms = await take(slow, 4);
    expect(seqs(ms)).toEqual([1, 4]);
    expect(lost(ms[3])).toEqual({ reason: LossReason.LAGGED, missed: 8, first: 7, last: 28 });
  });

  it("with onLag disconnect, ends a lagging subscription with EVENTS_LOST after what it had buffered", async () => {
    const bus = new EventBus({ onLag: "disconnect", subscriberBuffer: 5 });
    const fast = bus.subscribe({ bufferSize: 100 });
    const slow = bus.subscribe();
    for (let i = 0; i < 10; i++) bus.publish(executed());
    expect(bus.subscriberCount).toBe(1); // freed at the overflow
    expect(seqs(await take(slow, 6))).toEqual([1, 2, 3, 4, 5]);
    const err = await slow.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EventsError);
    expect((err as EventsError).reason).toBe("EVENTS_LOST");
    expect((err as EventsError).metadata?.first_missed_sequence).toBe(6);
    expect((await slow.next()).done).toBe(true);
    expect(seqs(await take(fast, 11))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(bus.stats().lagDisconnects).toBe(1);
  });

  it("serves 100 concurrent subscribers, each in order and complete", async () => {
    const bus = new EventBus();
    const subs = Array.from({ length: 100 }, () => bus.subscribe());
    const results = subs.map(async (s) => seqs(await drain(s)));
    expect(bus.subscriberCount).toBe(100);
    for (let batch = 0; batch < 20; batch++) {
      for (let i = 0; i < 100; i++) bus.publish(executed());
      await tick();
    }
    await tick();
    bus.close();
    const all = await Promise.all(results);
    const expected = Array.from({ length: 2000 }, (_, i) => i + 1);
    for (const got of all) expect(got).toEqual(expected);
    expect(bus.subscriberCount).toBe(0);
  });

  it("publish does not wait for subscribers that never read", () => {
    const bus = new EventBus({ subscriberBuffer: 16 });
    for (let i = 0; i < 100; i++) bus.subscribe();
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) bus.publish(executed());
    const ms = performance.now() - t0;
    expect(bus.latestSequence).toBe(20_000n);
    expect(ms).toBeLessThan(5000);
  });

  it("breaking out of the iterator frees the subscription at once", async () => {
    const bus = new EventBus();
    const sub = bus.subscribe();
    bus.publish(executed());
    bus.publish(executed());
    for await (const m of sub) {
      if (m.message.case === "event") break;
    }
    expect(bus.subscriberCount).toBe(0);
    expect(sub.ended).toBe(true);
    bus.publish(executed());
    expect((await sub.next()).done).toBe(true);
  });

  it("an aborted signal (client disconnect) frees a waiting subscription", async () => {
    const bus = new EventBus();
    const ac = new AbortController();
    const sub = bus.subscribe({ signal: ac.signal });
    const done = drain(sub);
    await tick();
    ac.abort();
    const ms = await done;
    expect(ms.map((m) => m.message.case)).toEqual(["started"]);
    expect(bus.subscriberCount).toBe(0);
    const pre = new AbortController();
    pre.abort();
    const dead = bus.subscribe({ signal: pre.signal });
    expect(bus.subscriberCount).toBe(0);
    expect((await dead.next()).done).toBe(true);
  });

  it("close() ends every iterator and refuses new subscriptions", async () => {
    const bus = new EventBus();
    const loops = Array.from({ length: 10 }, () => drain(bus.subscribe()));
    await tick();
    bus.close();
    const ends = await Promise.all(loops);
    expect(ends.every((ms) => ms.length <= 1)).toBe(true);
    expect(bus.subscriberCount).toBe(0);
    expect(() => bus.subscribe()).toThrow(expect.objectContaining({ reason: "ENGINE_STOPPED" }));
  });

  it("limits the number of subscriptions", () => {
    const bus = new EventBus({ maxSubscribers: 2 });
    bus.subscribe();
    bus.subscribe();
    expect(() => bus.subscribe()).toThrow(expect.objectContaining({ reason: "RESOURCE_EXCEEDED" }));
  });
});
