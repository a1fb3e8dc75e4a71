// A HealthStatusChanged says when the status changed (its own timestamp), as the engine's own do.
// One emitted without it reached subscribers with it unset; it now gets the envelope's time.
import { expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceEvent, ServiceEventSchema } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { firstEventDuring } from "../helpers/events.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const s = serverForTests({ toml: principalsToml({ name: "alice", permissions: ["events:emit"] }) });
const alice = bearer(tokenOf("alice"));

/** The health event a subscriber receives for `event`, emitted by alice. */
async function received(event: MessageInitShape<typeof ServiceEventSchema>): Promise<ServiceEvent> {
  const emit = () => clientFor(EventService, "grpc-js", s).emit({ event }, alice);
  const got = await firstEventDuring(s, "health_status_changed", alice.headers, emit);
  expect(got.source).toBe("alice"); // not one of the engine's own
  return got;
}

const degraded = (serviceId: string, timestamp?: { seconds: bigint; nanos: number }) => ({
  event: { case: "healthStatusChanged" as const, value: { serviceId, status: 3, ...(timestamp && { timestamp }) } },
});

it("fills an emitted health change's missing timestamp with the server's time, the envelope's", async () => {
  const before = BigInt(Math.floor(Date.now() / 1000));
  const got = await received(degraded("svc-no-time"));
  const inner = got.event.case === "healthStatusChanged" ? got.event.value.timestamp : undefined;
  expect(inner).toBeDefined();
  expect([inner!.seconds, inner!.nanos]).toEqual([got.timestamp!.seconds, got.timestamp!.nanos]);
  expect(inner!.seconds).toBeGreaterThanOrEqual(before);
});

it("fills it from the envelope's timestamp when the emitter gave only that", async () => {
  const got = await received({ timestamp: { seconds: 1_700_000_000n, nanos: 5 }, ...degraded("svc-envelope-time") });
  const inner = got.event.case === "healthStatusChanged" ? got.event.value.timestamp : undefined;
  expect([inner?.seconds, inner?.nanos]).toEqual([1_700_000_000n, 5]);
  expect([got.timestamp?.seconds, got.timestamp?.nanos]).toEqual([1_700_000_000n, 5]);
});

it("keeps the timestamp the emitter gave the health change", async () => {
  const got = await received(degraded("svc-own-time", { seconds: 1_600_000_000n, nanos: 0 }));
  const inner = got.event.case === "healthStatusChanged" ? got.event.value.timestamp : undefined;
  expect([inner?.seconds, inner?.nanos]).toEqual([1_600_000_000n, 0]);
  expect(got.timestamp!.seconds).toBeGreaterThan(1_600_000_000n); // the envelope's is still the server's
});
