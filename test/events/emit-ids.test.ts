// Event ids are unique in the retained log, whoever chose them: Emit may not reuse the id the
// server gave another event (an engine event's, or another source's Emit without an id), and the
// owner of a server-assigned id may retry with it.
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { EventBus } from "../../src/events/bus.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { bearer, principalsToml } from "../helpers/principals.ts";

const ALICE = "alice-token-0123456789abcdef";
const ROOT = "root-token-0123456789abcdef";
const TOML = principalsToml({ name: "alice", token: ALICE, permissions: ["events:emit"] }, { name: "root", token: ROOT, level: "development", permissions: ["admin"] });

const as = bearer;
const compiled = (scriptId: string, eventId = "") => ({ event: { eventId, event: { case: "scriptCompiled" as const, value: { scriptId, success: true } } } });

describe("through the server", () => {
  const s = serverForTests({ toml: TOML });

  /** The retained events (root reads them all). */
  async function retained(): Promise<ServiceEvent[]> {
    const ac = new AbortController();
    const out: ServiceEvent[] = [];
    let latest = 0n;
    for await (const m of clientFor(EventService, "grpc-js", s).subscribe({ afterSequence: 0n }, { ...as(ROOT), signal: ac.signal })) {
      if (m.message.case === "started") latest = m.message.value.latestSequence;
      if (m.message.case === "event") out.push(m.message.value);
      if (m.message.case === "event" && m.message.value.sequence >= latest) break;
    }
    ac.abort();
    return out;
  }

  it("refuses an id the server assigned to another source's event, and lets its owner retry with it", async () => {
    const events = clientFor(EventService, "connect", s);
    const mine = await events.emit(compiled("x"), as(ALICE));
    const taken = await failure(events.emit(compiled("y", mine.eventId), as(ROOT)));
    expect([taken.code, taken.reason, taken.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "event.event_id"]);
    // The owner's retry with the id it was given returns its event, publishing nothing twice.
    const again = await events.emit(compiled("x", mine.eventId), as(ALICE));
    expect([again.sequence, again.eventId]).toEqual([mine.sequence, mine.eventId]);
    expect((await retained()).filter((e) => e.eventId === mine.eventId)).toHaveLength(1);
  });

  it("refuses the id of one of the engine's own events", async () => {
    const engine = (await retained()).find((e) => e.source !== "alice" && e.source !== "root");
    expect(engine?.event.case).toBe("healthStatusChanged"); // the start's own
    const events = clientFor(EventService, "connect", s);
    const f = await failure(events.emit(compiled("z", engine!.eventId), as(ALICE)));
    expect([f.code, f.reason]).toEqual(["InvalidArgument", "VALIDATION_ERROR"]);
    expect((await retained()).filter((e) => e.eventId === engine!.eventId)).toHaveLength(1);
  });
});

describe("the bus's id index", () => {
  const executed = (): ServiceEvent =>
    create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } } });

  it("finds events by the id it assigned, until they leave the log by count or by bytes", () => {
    const bus = new EventBus({ logSize: 3, logBytes: 10_000 });
    const first = bus.append(executed());
    expect(bus.retainedById(first.eventId)?.sequence).toBe(first.sequence);
    for (let i = 0; i < 3; i++) bus.publish(executed());
    expect(bus.retainedById(first.eventId)).toBeUndefined();
    const small = bus.append(executed());
    bus.append(executed(), 9_999); // pushes every older event out of the byte budget
    expect(bus.oldestSequence).toBe(small.sequence + 1n);
    expect(bus.retainedById(small.eventId)).toBeUndefined();
  });
});
