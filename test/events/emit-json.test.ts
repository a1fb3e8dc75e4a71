// Every event is sent to JSON subscribers too: Emit refuses one proto3 JSON cannot carry (binary
// protobuf carries NaN in a Value and any Timestamp or Duration), and a JSON stream that meets one
// anyway (only a bug in the engine's own events could publish it) steps over it with a loss notice
// instead of ending with INTERNAL there, at every replay.
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { EventBus } from "../../src/events/bus.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { shape } from "../helpers/subscription-lines.ts";

const number = (n: number) => create(ValueSchema, { kind: { case: "numberValue", value: n } });
type Event = ServiceEvent["event"];
const POISON: [string, Event, string][] = [
  ["NaN in a Value", { case: "serviceRegistered", value: { serviceId: "svc-a", serviceType: "t", metadata: { x: number(NaN) } } }, "event.service_registered.metadata"],
  ["Infinity in a Value", { case: "serviceRegistered", value: { serviceId: "svc-b", serviceType: "t", metadata: { x: number(-Infinity) } } }, "event.service_registered.metadata"],
  ["a nested Timestamp past year 9999", { case: "healthStatusChanged", value: { serviceId: "svc-c", status: 1, timestamp: { seconds: 999_999_999_999_999n, nanos: 0 } } }, "event.health_status_changed.timestamp"],
  ["a nested Timestamp with negative nanos", { case: "healthStatusChanged", value: { serviceId: "svc-d", status: 1, timestamp: { seconds: 1n, nanos: -1 } } }, "event.health_status_changed.timestamp"],
  ["a Duration whose signs differ", { case: "scriptCompiled", value: { scriptId: "s1", success: true, duration: { seconds: 5n, nanos: -5 } } }, "event.script_compiled.duration"],
] as [string, Event, string][];

describe("through the server", () => {
  const s = serverForTests({ toml: principalsToml({ name: "alice", permissions: ["events:emit"] }, { name: "bob" }) });

  it.each(POISON)("Emit refuses %s, naming the field", async (_, event, field) => {
    const f = await failure(clientFor(EventService, "grpc-js", s).emit({ event: { event } }, bearer(tokenOf("alice"))));
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", field]);
    expect(f.err.rawMessage).toContain("JSON");
  });

  it("a JSON subscriber reads every event emitted after the refused ones", async () => {
    const events = clientFor(EventService, "grpc-js", s);
    for (const [, event] of POISON) await events.emit({ event: { event } }, bearer(tokenOf("alice"))).catch(() => undefined);
    const last = await events.emit({ event: { event: { case: "scriptCompiled", value: { scriptId: "good", success: true } } } }, bearer(tokenOf("alice")));
    const ac = new AbortController();
    const cases: string[] = [];
    for await (const m of clientFor(EventService, "connect-json", s).subscribe({ afterSequence: 0n }, { ...bearer(tokenOf("bob")), signal: ac.signal })) {
      cases.push(m.message.case ?? "");
      if (m.message.case === "event" && m.message.value.sequence >= last.sequence) break;
    }
    ac.abort();
    expect(cases[0]).toBe("started");
    expect(cases.slice(1).every((c) => c === "event")).toBe(true);
  });
});

describe("a JSON subscription on the bus", () => {
  const poisoned = (): ServiceEvent =>
    create(ServiceEventSchema, { event: { case: "serviceRegistered", value: { serviceId: "x", serviceType: "t", metadata: { n: number(NaN) } } } });
  const fine = (): ServiceEvent => create(ServiceEventSchema, { event: { case: "scriptCompiled", value: { scriptId: "c", success: true } } });
  async function read(bus: EventBus, json: boolean, n: number): Promise<string[]> {
    const sub = bus.subscribe({ afterSequence: 0, json });
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(shape((await sub.next()).value!));
    sub.close();
    return out;
  }

  it("gets a loss notice for an event JSON cannot carry, and goes on", async () => {
    const bus = new EventBus();
    bus.publish(fine());
    bus.publish(poisoned()); // the engine's own events are not validated
    bus.publish(fine());
    expect(await read(bus, true, 4)).toEqual(["started", "event 1", "lost UNSPECIFIED 1 2..2", "event 3"]);
    // A binary stream carries it.
    expect(await read(bus, false, 4)).toEqual(["started", "event 1", "event 2", "event 3"]);
  });
});
