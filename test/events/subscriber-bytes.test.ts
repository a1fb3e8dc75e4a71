// A subscriber's buffer is bounded in bytes too (events.subscriber_buffer_bytes, counted as the
// log counts them): a stream that stops reading cannot pin subscriber_buffer heavy events (a 60 KB
// list of booleans is ~1.5 MB once decoded) after the log has let them go. Past the bytes it lags
// exactly as past the count.
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
import { EventBus, EventsError } from "../../src/events/index.ts";
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

describe("through the server", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ toml: `[events]\nsubscriber_buffer_bytes = 1048576\n\n${principalsToml({ name: "alice", permissions: ["events:emit"] })}` });
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  it("a paused subscriber lags once heavy events pass its buffer's bytes, long before its count", async () => {
    // A raw HTTP/2 reader that stops reading: the server's writes back up into its buffer.
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

    const booleans = create(ValueSchema, {
      kind: { case: "listValue", value: { values: Array.from({ length: 15_000 }, () => create(ValueSchema, { kind: { case: "boolValue", value: true } })) } },
    });
    const events = clientFor(EventService, "grpc-js", s);
    let last = 0n;
    for (let i = 0; i < 100; i++) {
      const r = await events.emit({ event: { event: { case: "serviceRegistered", value: { serviceId: `svc-${i}`, serviceType: "t", metadata: { b: booleans } } } } }, bearer(tokenOf("alice")));
      last = r.sequence;
    }
    req.resume();
    const reached = () => got.some((m) => (m.message.case === "event" ? m.message.value.sequence : m.message.case === "lost" ? m.message.value.lastMissedSequence : 0n) >= last);
    for (let waited = 0; !reached() && waited < 10_000; waited += 50) await sleep(50);
    session.destroy();
    expect(reached()).toBe(true);
    const lost = got.filter((m) => m.message.case === "lost").map(shape);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((l) => l.startsWith("lost LAGGED"))).toBe(true);
    // Of 100 heavy events, what reached it is what the connection itself absorbed (~1 MB on the
    // wire) and about one buffered one, not the 100 its count of 1024 would have held.
    expect(got.filter((m) => m.message.case === "event").length).toBeLessThan(50);
  }, 60_000);
});

describe("a subscription on the bus", () => {
  const executed = (): ServiceEvent =>
    create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } } });
  async function take(sub: AsyncIterator<SubscribeResponse>, n: number): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(shape((await sub.next()).value!));
    return out;
  }

  it("buffers no more than its bytes, then tells what it lost (on_lag notify)", async () => {
    const bus = new EventBus({ subscriberBufferBytes: 10_000 });
    const sub = bus.subscribe();
    for (let i = 0; i < 5; i++) bus.append(executed(), 4_000);
    bus.append(executed(), 100);
    expect(await take(sub, 5)).toEqual(["started", "event 1", "event 2", "lost LAGGED 3 3..5", "event 6"]);
    expect(bus.stats().laggedEvents).toBe(3);
    sub.close();
  });

  it("takes one event bigger than its bytes into an empty buffer", async () => {
    const bus = new EventBus({ subscriberBufferBytes: 10_000 });
    const sub = bus.subscribe();
    bus.append(executed(), 50_000);
    bus.append(executed(), 10);
    expect(await take(sub, 3)).toEqual(["started", "event 1", "lost LAGGED 1 2..2"]);
    sub.close();
  });

  it("is ended with EVENTS_LOST past its bytes under on_lag disconnect", async () => {
    const bus = new EventBus({ subscriberBufferBytes: 10_000, onLag: "disconnect" });
    const sub = bus.subscribe();
    for (let i = 0; i < 3; i++) bus.append(executed(), 4_000);
    expect(await take(sub, 3)).toEqual(["started", "event 1", "event 2"]);
    const err = await sub.next().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(EventsError);
    expect((err as EventsError).reason).toBe("EVENTS_LOST");
    expect(bus.stats().lagDisconnects).toBe(1);
  });
});
