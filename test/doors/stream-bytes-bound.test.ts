// A server stream whose client stops reading holds at most a bounded number of BYTES at the door;
// the rest stays in the event bus's subscriber buffer, under its budgets, and lags there. grpc-js
// queues 16 messages before it pushes back, whatever their size: with large events the gRPC door
// used to pull 16+ of them out of the bus for a paused stream (each up to ~1.8 MB once decoded),
// out of sight of events.subscriber_buffer_bytes and events.subscribers_bytes.
import { describe, expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { until } from "../helpers/until.ts";
import { pausedSubscribe } from "../helpers/paused-subscribe.ts";

const BUFFER = 4; // events.subscriber_buffer: the bus holds 4 events for the paused subscriber
const EVENTS = 40;
const TEXT = "z".repeat(60_000); // ~60 KB per message on the wire

const server = serverForTests({ toml: `[events]\nsubscriber_buffer = ${BUFFER}\n\n${principalsToml({ name: "alice", permissions: ["events:emit"] })}` });

const auth = bearer(tokenOf("alice"));

/**
 * Emits EVENTS large events one by one and returns how many the paused subscriber lost to lag;
 * then closes its connection and waits until the subscription is gone (a stream waiting to
 * flush still ends with its call).
 */
async function laggedWhilePaused(address: string): Promise<number> {
  const events = clientFor(EventService, "grpc-js", server);
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const metrics = async () => (await scripts.getMetrics({}, auth)).metrics!;
  const before = await metrics();
  const lagged = async () => Number((await metrics()).laggedEvents - before.laggedEvents);
  // A raw gRPC Subscribe over h2c that reads its first message (started), then stops reading.
  const stream = await pausedSubscribe(address, ["health_status_changed"], auth.headers);
  try {
    for (let i = 0; i < EVENTS; i++) {
      await events.emit({ event: { event: { case: "healthStatusChanged", value: { serviceId: "svc", status: 1, message: TEXT } } } }, auth);
    }
    // Some lag must show; then give the door time to pull whatever it will.
    await until("the paused subscriber lags", async () => (await lagged()) > 0);
    await new Promise((r) => setTimeout(r, 300));
    return await lagged();
  } finally {
    stream.close();
    await until("the paused subscription is freed", async () => (await metrics()).eventSubscribers === before.eventSubscribers);
  }
}

describe("a paused server stream", () => {
  // What is neither lagged nor in the bus's 4-event buffer left the bus: what reached the client's
  // HTTP/2 window (64 KiB, one message) and what the door holds (256 KiB written but not flushed,
  // four messages, plus the one in hand): 6 of them. grpc-js alone took 17.
  it("pulls at most a few hundred KiB of messages out of the bus at the gRPC door", async () => {
    const lagged = await laggedWhilePaused(server.grpc);
    expect(EVENTS - lagged - BUFFER).toBeLessThanOrEqual(8);
  });

  // connect-node writes bytes to Node's HTTP/2 stream and waits for 'drain' past its 16 KiB mark:
  // it was bounded already.
  it("pulls as little at the HTTP door (gRPC over h2c)", async () => {
    const lagged = await laggedWhilePaused(server.http);
    expect(EVENTS - lagged - BUFFER).toBeLessThanOrEqual(8);
  });
});
