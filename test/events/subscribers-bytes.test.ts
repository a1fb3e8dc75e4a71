// All subscriber buffers together are bounded too (events.subscribers_bytes): each one's
// subscriber_buffer_bytes is not enough, since a principal may hold max_streams_per_caller
// streams, each paused at a different time and pinning its own window of events the log has let
// go. What counts is what the buffers hold beyond the log, each event once; past it the subscriber
// holding the most loses its whole buffer as a lagging one does, then the next, until under.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import { EventBus, EventsError } from "../../src/events/index.ts";
import { clientFor } from "../helpers/clients.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { emitHeavy } from "../helpers/heavy-events.ts";
import { pausedSubscribe } from "../helpers/paused-subscribe.ts";
import { drain, shape } from "../helpers/subscription-lines.ts";

describe("the subscribers' byte budget on the bus", () => {
  const executed = (): ServiceEvent =>
    create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } } });

  it("lags the subscriber holding the most of what the log let go, with one exact notice, and the total stays under", async () => {
    const bus = new EventBus({ logBytes: 4_000, subscriberBufferBytes: 100_000, subscribersBytes: 10_000 });
    const a = bus.subscribe();
    for (let i = 0; i < 14; i++) {
      bus.append(executed(), 1_000);
      expect(bus.stats().heldBytes).toBeLessThanOrEqual(10_000);
    }
    // The log keeps 11..14; a's buffer alone holds 1..10 beyond it.
    expect(bus.stats().heldBytes).toBe(10_000);
    const b = bus.subscribe();
    bus.append(executed(), 1_000); // 11 leaves the log: 11 000 beyond it
    expect(bus.stats().heldBytes).toBe(0);
    bus.append(executed(), 1_000);
    expect(await drain(a)).toEqual(["started", "lost LAGGED 15 1..15", "event 16"]);
    expect(await drain(b)).toEqual(["started", "event 15", "event 16"]);
    expect(bus.stats().laggedEvents).toBe(15);
    a.close();
    b.close();
  });

  it("counts an event held by several buffers once, and stops at the first subscriber that brings it under", async () => {
    const bus = new EventBus({ logBytes: 2_000, subscriberBufferBytes: 100_000, subscribersBytes: 5_000 });
    const a = bus.subscribe();
    for (let i = 0; i < 4; i++) bus.append(executed(), 1_000);
    const b = bus.subscribe();
    for (let i = 0; i < 3; i++) bus.append(executed(), 1_000);
    // 1..5 have left the log: a holds all five, b holds 5 too, which counts once.
    expect(bus.stats().heldBytes).toBe(5_000);
    bus.append(executed(), 1_000); // 6 leaves: a holds 6 000 of it, b 2 000
    expect(bus.stats().heldBytes).toBe(2_000);
    expect(await drain(a)).toEqual(["started", "lost LAGGED 8 1..8"]);
    expect(await drain(b)).toEqual(["started", "event 5", "event 6", "event 7", "event 8"]);
    expect(bus.stats().heldBytes).toBe(0);
    a.close();
    b.close();
  });

  it("costs subscribers whose buffers hold only what the log still holds nothing, however many", async () => {
    const bus = new EventBus({ logBytes: 100_000, subscriberBufferBytes: 100_000, subscribersBytes: 1_024 });
    const subs = Array.from({ length: 50 }, () => bus.subscribe());
    for (let i = 0; i < 10; i++) bus.append(executed(), 1_000);
    expect(bus.stats()).toMatchObject({ heldBytes: 0, laggedEvents: 0 });
    for (const s of subs) expect((await drain(s)).length).toBe(11);
  });

  it("merges the loss with the one its own full buffer was already counting", async () => {
    const bus = new EventBus({ logBytes: 2_000, subscriberBufferBytes: 5_000, subscribersBytes: 4_000 });
    const a = bus.subscribe();
    for (let i = 0; i < 7; i++) bus.append(executed(), 1_000); // 6 and 7 do not fit its buffer
    bus.append(executed(), 1_000);
    expect(await drain(a)).toEqual(["started", "lost LAGGED 7 1..7", "event 8"]);
    expect(bus.stats()).toMatchObject({ laggedEvents: 7, heldBytes: 0 });
    a.close();
  });

  it("ends it with EVENTS_LOST at once under on_lag disconnect, its buffer released", async () => {
    const bus = new EventBus({ logBytes: 2_000, subscriberBufferBytes: 100_000, subscribersBytes: 3_000, onLag: "disconnect" });
    const a = bus.subscribe();
    for (let i = 0; i < 6; i++) bus.append(executed(), 1_000);
    expect(bus.stats()).toMatchObject({ heldBytes: 0, lagDisconnects: 1, laggedEvents: 6, subscribers: 0 });
    expect(shape((await a.next()).value!)).toBe("started");
    const err = await a.next().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(EventsError);
    expect((err as EventsError).reason).toBe("EVENTS_LOST");
    expect((err as EventsError).metadata).toMatchObject({ first_missed_sequence: 1, subscribers_bytes: 3_000 });
  });

  it("reaches a stream its own overflow already ended: its unread queue goes, and its error names the first event lost", async () => {
    const bus = new EventBus({ logBytes: 2_000, subscriberBufferBytes: 5_000, subscribersBytes: 3_000, onLag: "disconnect" });
    const a = bus.subscribe();
    for (let i = 0; i < 6; i++) bus.append(executed(), 1_000); // 6 overflows it; then 4 leaves the log
    expect(bus.stats()).toMatchObject({ heldBytes: 0, lagDisconnects: 1, laggedEvents: 6 });
    expect(shape((await a.next()).value!)).toBe("started");
    const err = await a.next().then(() => null, (e: unknown) => e);
    expect((err as EventsError).metadata).toMatchObject({ first_missed_sequence: 1 });
  });

  it("stops counting an ended stream's queue when its reader leaves without reading it", () => {
    const bus = new EventBus({ logBytes: 2_000, subscriberBufferBytes: 5_000, onLag: "disconnect" });
    const client = new AbortController();
    bus.subscribe({ signal: client.signal });
    for (let i = 0; i < 6; i++) bus.append(executed(), 1_000);
    expect(bus.stats().heldBytes).toBe(4_000);
    client.abort();
    expect(bus.stats().heldBytes).toBe(0);
  });

  it("is a config key with a floor", () => {
    expect(loadConfig({ argv: [], env: {} }).config.events.subscribersBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ argv: ["--set", "events.subscribers_bytes=2048"], env: {} }).config.events.subscribersBytes).toBe(2048);
    expect(() => loadConfig({ argv: ["--set", "events.subscribers_bytes=100"], env: {} })).toThrow(/events\.subscribers_bytes: must be at least 1024/);
  });
});

describe("through the server", () => {
  // Each buffer alone could hold everything here; all of them together may keep 4 MiB past the log.
  const s = serverForTests({
    toml:
      `[events]\nlog_bytes = 2097152\nsubscriber_buffer = 100000\nsubscriber_buffer_bytes = 1073741824\nsubscribers_bytes = 4194304\n\n` +
      principalsToml({ name: "alice", permissions: ["events:emit"] }),
  });

  it("a paused stream past the budget is told exactly what it lost (LAGGED)", async () => {
    const sub = await pausedSubscribe(s.grpc, ["service_registered"], bearer(tokenOf("alice")).headers);
    const got = sub.got;
    expect(got.map(shape)).toEqual(["started"]);

    // ~1.8 MB each once decoded (60 KB on the wire): the log keeps about one.
    const sequences = await emitHeavy(s, bearer(tokenOf("alice")).headers, 100);
    const [first, last] = [sequences[0]!, sequences.at(-1)!];
    const m = (await clientFor(ScriptService, "grpc-js", s).getMetrics({}, bearer(tokenOf("alice")))).metrics!;
    expect(m.laggedEvents).toBeGreaterThan(0n);
    expect(await sub.readTo(last)).toBe(true);
    const lost = got.filter((x) => x.message.case === "lost");
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.map(shape).every((l) => l.startsWith("lost LAGGED"))).toBe(true);
    // Every event of the 100 came, or was counted lost, once, in order.
    const seen: bigint[] = [];
    for (const x of got) {
      if (x.message.case === "event") seen.push(x.message.value.sequence);
      else if (x.message.case === "lost") {
        const v = x.message.value;
        expect(v.missedCount).toBe(v.lastMissedSequence - v.firstMissedSequence + 1n);
        for (let q = v.firstMissedSequence; q <= v.lastMissedSequence; q++) seen.push(q);
      }
    }
    expect(seen).toEqual(Array.from({ length: Number(last - first) + 1 }, (_, i) => first + BigInt(i)));
  }, 60_000);
});
