// Emit refuses what a subscriber could not make sense of: an enum number its enum does not declare
// (proto3 JSON writes it as a bare number), a health change to SERVICE_STATUS_UNSPECIFIED and a
// negative Duration. They were accepted. A SecurityViolation kind stays free text (an admin's own detector's).
import { expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

type Event = ServiceEvent["event"];
const s = serverForTests({ toml: principalsToml({ name: "alice", permissions: ["events:emit"] }, { name: "ops", permissions: ["admin"] }) });
const emit = (event: Event, who = "alice") => clientFor(EventService, "grpc-js", s).emit({ event: { event } }, bearer(tokenOf(who)));

const REFUSED: [string, Event, string, string][] = [
  ["a health status UNSPECIFIED", { case: "healthStatusChanged", value: { serviceId: "h1", status: 0 } }, "event.health_status_changed.status", "alice"],
  ["a health status not in the enum", { case: "healthStatusChanged", value: { serviceId: "h2", status: 99 } }, "event.health_status_changed.status", "alice"],
  ["a security level not in the enum", { case: "securityViolation", value: { kind: "limit_exceeded", securityLevel: 42 } }, "event.security_violation.security_level", "ops"],
  ["a negative duration", { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", duration: { seconds: -5n, nanos: 0 } } }, "event.script_executed.duration", "alice"],
  ["a negative nested duration", { case: "migrationCompleted", value: { toolName: "t", migrationId: "m", result: { duration: { seconds: 0n, nanos: -1 } } } }, "event.migration_completed.result.duration", "alice"],
  ["a nested enum not in the enum", { case: "migrationCompleted", value: { toolName: "t", migrationId: "m2", result: { status: 77 } } }, "event.migration_completed.result.status", "alice"],
] as [string, Event, string, string][];

it.each(REFUSED)("Emit refuses %s with INVALID_ARGUMENT naming the field", async (_, event, field, who) => {
  const f = await failure(emit(event, who));
  expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", field]);
  expect(f.err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual([field]);
});

it("Emit still takes meaningful values: a known status, a kind of its own, no level, a zero duration", async () => {
  await emit({ case: "healthStatusChanged", value: { serviceId: "h3", status: 3 } } as Event);
  await emit({ case: "securityViolation", value: { kind: "escape_attempt" } } as Event, "ops");
  await emit({ case: "securityViolation", value: { kind: "gateway_rate_limited" } } as Event, "ops");
  await emit({ case: "securityViolation", value: { kind: "clamped", securityLevel: 1 } } as Event, "ops");
  await emit({ case: "scriptExecuted", value: { scriptId: "s", executionId: "e2", duration: { seconds: 0n, nanos: 0 } } } as Event);
});
