import { describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ServiceEventSchema } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { EventsError, validateEmittedEvent } from "../../src/events/index.ts";

function fieldOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EventsError);
    expect((e as EventsError).reason).toBe("VALIDATION_ERROR");
    return (e as EventsError).field;
  }
  return undefined;
}

describe("validateEmittedEvent", () => {
  it("accepts a complete event", () => {
    const ev = create(ServiceEventSchema, {
      event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } },
    });
    expect(() => validateEmittedEvent(ev)).not.toThrow();
  });

  it("requires an event with exactly one type set", () => {
    expect(fieldOf(() => validateEmittedEvent(undefined))).toBe("event");
    expect(fieldOf(() => validateEmittedEvent(create(ServiceEventSchema, {})))).toBe("event");
  });

  it("refuses an event nested deeper than every subscriber's decoder takes (Python's: 100 messages below its SubscribeResponse)", () => {
    // k objects nested: a Struct's level is three messages (Value, Struct, map entry), a list's two.
    const leaf = () => create(ValueSchema, { kind: { case: "numberValue", value: 1 } });
    const objects = (k: number): Value => (k === 0 ? leaf() : create(ValueSchema, { kind: { case: "structValue", value: { fields: { n: objects(k - 1) } } } }));
    const lists = (k: number): Value => (k === 0 ? leaf() : create(ValueSchema, { kind: { case: "listValue", value: { values: [lists(k - 1)] } } }));
    const migration = (v: Value) => create(ServiceEventSchema, {
      event: { case: "migrationCompleted", value: { toolName: "t", migrationId: "m", result: { metadata: { m: v } } } },
    });
    const registered = (v: Value) => create(ServiceEventSchema, {
      event: { case: "serviceRegistered", value: { serviceId: "s", serviceType: "t", metadata: { m: v } } },
    });
    // Its leaf value is message 6 + 3k of the SubscribeResponse carrying it, 5 + 3k or 5 + 2k here.
    expect(() => validateEmittedEvent(migration(objects(31)))).not.toThrow();
    expect(fieldOf(() => validateEmittedEvent(migration(objects(32))))).toBe("event");
    expect(() => validateEmittedEvent(registered(objects(32)))).not.toThrow();
    expect(fieldOf(() => validateEmittedEvent(registered(objects(33))))).toBe("event");
    expect(() => validateEmittedEvent(registered(lists(48)))).not.toThrow();
    expect(fieldOf(() => validateEmittedEvent(registered(lists(49))))).toBe("event");
    expect(() => validateEmittedEvent(registered(objects(2000)))).toThrow(/^event nests more than 102 messages deep in its SubscribeResponse, past the 101 that Python's/);
  });

  it("names the missing required id", () => {
    const ev = create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId: "s" } } });
    expect(fieldOf(() => validateEmittedEvent(ev))).toBe("event.script_executed.execution_id");
    const reg = create(ServiceEventSchema, { event: { case: "serviceRegistered", value: { serviceId: "a" } } });
    expect(fieldOf(() => validateEmittedEvent(reg))).toBe("event.service_registered.service_type");
    const sv = create(ServiceEventSchema, { event: { case: "securityViolation", value: { detail: "x" } } });
    expect(fieldOf(() => validateEmittedEvent(sv))).toBe("event.security_violation.kind");
  });

  it("bounds ids and the whole event", () => {
    const long = create(ServiceEventSchema, {
      event: { case: "migrationStarted", value: { toolName: "t".repeat(300), migrationId: "m" } },
    });
    expect(fieldOf(() => validateEmittedEvent(long))).toBe("event.migration_started.tool_name");
    const src = create(ServiceEventSchema, {
      source: "s".repeat(1000),
      event: { case: "serviceUnregistered", value: { serviceId: "a" } },
    });
    expect(fieldOf(() => validateEmittedEvent(src))).toBe("event.source");
    const big = create(ServiceEventSchema, {
      event: { case: "securityViolation", value: { kind: "limit_exceeded", detail: "d".repeat(70_000) } },
    });
    expect(fieldOf(() => validateEmittedEvent(big))).toBe("event");
    expect(fieldOf(() => validateEmittedEvent(big, { maxEventBytes: 100_000, maxIdLength: 256 }))).toBeUndefined();
  });

  it("rejects an out-of-range timestamp", () => {
    const ev = create(ServiceEventSchema, {
      timestamp: { seconds: 999_999_999_999n, nanos: 0 },
      event: { case: "serviceUnregistered", value: { serviceId: "a" } },
    });
    expect(fieldOf(() => validateEmittedEvent(ev))).toBe("event.timestamp");
  });

  it("charges the log what an event holds in memory: at least its heap, not its wire size", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    // ~60 KB on the wire, but 15 000 Value objects once decoded.
    const values = Array.from({ length: 15_000 }, () => create(ValueSchema, { kind: { case: "boolValue", value: true } }));
    const many = create(ServiceEventSchema, {
      event: { case: "serviceRegistered", value: { serviceId: "s", serviceType: "t", metadata: { m: create(ValueSchema, { kind: { case: "listValue", value: { values } } }) } } },
    });
    const wire = toBinary(ServiceEventSchema, many);
    const charged = validateEmittedEvent(many);
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept = Array.from({ length: 40 }, () => fromBinary(ServiceEventSchema, wire));
    gc();
    const heapPerEvent = (process.memoryUsage().heapUsed - before) / kept.length;
    expect(heapPerEvent).toBeGreaterThan(wire.length * 5); // the amplification is real
    expect(charged).toBeGreaterThanOrEqual(heapPerEvent);
    // An ordinary event is charged about its size.
    const plain = create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } } });
    expect(validateEmittedEvent(plain)).toBeLessThan(2048);
  });
});
