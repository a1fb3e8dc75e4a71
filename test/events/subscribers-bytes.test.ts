// All subscriber buffers together are bounded too (events.subscribers_bytes): each one's
// subscriber_buffer_bytes is not enough, since a principal may hold max_streams_per_caller
// streams, each paused at a different time and pinning its own window of events the log has let
// go. What counts is what the buffers hold beyond the log, each event once; past it the subscriber
// holding the most loses its whole buffer as a lagging one does, then the next, until under.
import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EventService,
  LossReason,
  SubscribeRequestSchema,
  SubscribeResponseSchema,
  type SubscribeResponse,
} from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { loadConfig } from "../../src/config/load.ts";
import { EventBus, EventsError, type Subscription } from "../../src/events/index.ts";
import { clientFor } from "../helpers/clients.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { startServer, type TestServer } from "../helpers/server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shape = (m: SubscribeResponse) =>
  m.message.case === "event"
    ? `event ${m.message.value.sequence}`
    : m.message.case === "lost"
      ? `lost ${LossReason[m.message.value.reason]} ${m.message.value.missedCount} ${m.message.value.firstMissedSequence}..${m.message.value.lastMissedSequence}`
      : (m.message.case ?? "");

describe("the subscribers' byte budget on the bus", () => {
  const executed = (): ServiceEvent =>
    create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } } });
  /** What a reader gets now, without waiting for more. */
  async function drain(sub: Subscription): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const next = await Promise.race([sub.next(), sleep(0).then(() => null)]);
      if (next === null || next.done) return out;
      out.push(shape(next.value));
    }
  }

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
  let s: TestServer;
  beforeAll(async () => {
    // Each buffer alone could hold everything here; all of them together may keep 4 MiB past the log.
    s = await startServer({
      toml:
        `[events]\nlog_bytes = 2097152\nsubscriber_buffer = 100000\nsubscriber_buffer_bytes = 1073741824\nsubscribers_bytes = 4194304\n\n` +
        principalsToml({ name: "alice", permissions: ["events:emit"] }),
    });
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  it("a paused stream past the budget is told exactly what it lost (LAGGED)", async () => {
    const session = http2.connect(`http://${s.grpc}`);
    const req = session.request({ ":method": "POST", ":path": "/scriptengine.v1.EventService/Subscribe", "content-type": "application/grpc", te: "trailers", ...bearer(tokenOf("alice")).headers });
    const body = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { eventTypes: ["service_registered"] }));
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    req.end(frame);
    const got: SubscribeResponse[] = [];
    let buf = Buffer.alloc(0);
    req.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
        const n = buf.readUInt32BE(1);
        got.push(fromBinary(SubscribeResponseSchema, buf.subarray(5, 5 + n)));
        buf = buf.subarray(5 + n);
      }
    });
    for (let waited = 0; got.length === 0 && waited < 10_000; waited += 20) await sleep(20);
    expect(got.map(shape)).toEqual(["started"]);
    req.pause();

    // ~1.8 MB each once decoded (60 KB on the wire): the log keeps about one.
    const booleans = create(ValueSchema, {
      kind: { case: "listValue", value: { values: Array.from({ length: 15_000 }, () => create(ValueSchema, { kind: { case: "boolValue", value: true } })) } },
    });
    const events = clientFor(EventService, "grpc-js", s);
    let first = 0n;
    let last = 0n;
    for (let i = 0; i < 100; i++) {
      const r = await events.emit({ event: { event: { case: "serviceRegistered", value: { serviceId: `svc-${i}`, serviceType: "t", metadata: { b: booleans } } } } }, bearer(tokenOf("alice")));
      if (i === 0) first = r.sequence;
      last = r.sequence;
    }
    const m = (await clientFor(ScriptService, "grpc-js", s).getMetrics({}, bearer(tokenOf("alice")))).metrics!;
    expect(m.laggedEvents).toBeGreaterThan(0n);
    req.resume();
    const reached = () => got.some((x) => (x.message.case === "event" ? x.message.value.sequence : x.message.case === "lost" ? x.message.value.lastMissedSequence : 0n) >= last);
    for (let waited = 0; !reached() && waited < 10_000; waited += 50) await sleep(50);
    session.destroy();
    expect(reached()).toBe(true);
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
