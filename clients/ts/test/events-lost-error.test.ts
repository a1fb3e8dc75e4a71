// EventsLostError keeps the server's notice, its reason among it (as Go's `Lost` and Python's `lost`):
// a RESTART (a reset or replaced store: the checkpoint must be discarded) is told from RETENTION or
// LAGGED. Its message names the reason, and no "sequences 0..0" for a range the server cannot know.
import { create } from "@bufbuild/protobuf";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createScriptEngineClient, EventsLostError, EventsLostSchema, LossReason, SubscribeResponseSchema } from "../src/index.ts";
import { framed, startScriptedGrpcServer, type ScriptedGrpcServer } from "./scripted-grpc-server.ts";

const lost = (reason: LossReason, missedCount: bigint, firstMissedSequence: bigint, lastMissedSequence: bigint) =>
  create(EventsLostSchema, { reason, missedCount, firstMissedSequence, lastMissedSequence });

it.each([
  [lost(LossReason.RETENTION, 10000n, 1n, 10000n), "missed 10000 events (sequences 1..10000, RETENTION)"],
  [lost(LossReason.LAGGED, 2n, 41n, 42n), "missed 2 events (sequences 41..42, LAGGED)"],
  [lost(LossReason.RESTART, 5n, 8n, 12n), "missed 5 events (sequences 8..12, RESTART)"],
  [lost(LossReason.RESTART, 1n, 0n, 0n), "missed 1 events (RESTART)"],
])("keeps the notice and its reason: %#", (notice, message) => {
  const err = new EventsLostError(notice);
  expect(err.message).toBe(message);
  expect(err.lost).toBe(notice);
  expect(err.reason).toBe(notice.reason);
  expect([err.missedCount, err.firstMissedSequence, err.lastMissedSequence]).toEqual([notice.missedCount, notice.firstMissedSequence, notice.lastMissedSequence]);
});

let server: ScriptedGrpcServer;
beforeAll(async () => {
  const notice = { reason: LossReason.RESTART, missedCount: 1n, firstMissedSequence: 0n, lastMissedSequence: 0n };
  server = await startScriptedGrpcServer(() => ({
    messages: [
      framed(SubscribeResponseSchema, { message: { case: "started", value: { subscriptionId: "s1", latestSequence: 0n } } }),
      framed(SubscribeResponseSchema, { message: { case: "lost", value: notice } }),
    ],
  }));
});
afterAll(() => server?.close());

it("ends subscribe() without onLost with the reason of the server's notice", async () => {
  const client = createScriptEngineClient({ address: server.address });
  try {
    const err = await (async () => {
      for await (const _ of client.subscribe({ afterSequence: 1_000_000n }));
    })().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EventsLostError);
    expect((err as EventsLostError).reason).toBe(LossReason.RESTART);
    expect((err as EventsLostError).message).toBe("missed 1 events (RESTART)");
  } finally {
    client.close();
  }
});
