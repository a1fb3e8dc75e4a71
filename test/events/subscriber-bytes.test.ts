// A subscriber's buffer is bounded in bytes too (events.subscriber_buffer_bytes, counted as the
// log counts them): a stream that stops reading cannot pin subscriber_buffer heavy events (a 60 KB
// list of booleans is ~1.5 MB once decoded) after the log has let them go. Past the bytes it lags
// exactly as past the count.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { SubscribeResponse } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { EventBus, EventsError } from "../../src/events/index.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { emitHeavy } from "../helpers/heavy-events.ts";
import { pausedSubscribe } from "../helpers/paused-subscribe.ts";
import { shape } from "../helpers/subscription-lines.ts";

describe("through the server", () => {
  const s = serverForTests({ toml: `[events]\nsubscriber_buffer_bytes = 1048576\n\n${principalsToml({ name: "alice", permissions: ["events:emit"] })}` });

  it("a paused subscriber lags once heavy events pass its buffer's bytes, long before its count", async () => {
    // A raw HTTP/2 reader that stops reading: the server's writes back up into its buffer.
    const sub = await pausedSubscribe(s.grpc, ["service_registered"], bearer(tokenOf("alice")).headers);
    const got = sub.got;
    expect(got.map(shape)).toEqual(["started"]);

    const last = (await emitHeavy(s, bearer(tokenOf("alice")).headers, 100)).at(-1)!;
    expect(await sub.readTo(last)).toBe(true);
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
