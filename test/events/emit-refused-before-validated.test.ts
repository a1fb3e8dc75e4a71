// Emit settles who may emit an event before whether it is well-formed: a caller that may not emit
// it is refused PERMISSION_DENIED whatever its shape, rather than told (INVALID_ARGUMENT) which
// field its forgery lacks. One that may emit it (an admin) still gets the validation error.
import { expect, it } from "vitest";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { EventService, type EmitRequestSchema } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";

const ENGINE = "engine-under-test";
const s = serverForTests({
  toml: `[discovery]\nservice_id = "${ENGINE}"\n\n${principalsToml(
    { name: "alice", permissions: ["events:emit"] },
    { name: "root", level: "development", permissions: ["admin"] },
  )}`,
});

type Emit = MessageInitShape<typeof EmitRequestSchema>;
const emit = (event: Emit, as: string) => failure(clientFor(EventService, "connect", s).emit(event, bearer(tokenOf(as))));
const outcome = async (p: Promise<Awaited<ReturnType<typeof failure>>>) => {
  const f = await p;
  return [f.code, f.reason, f.err.rawMessage];
};

/** Ill-formed events only an admin may emit: a SecurityViolation without its kind, a health change of the engine's service with a bad event id. */
const forgeries: Emit[] = [
  { event: { event: { case: "securityViolation" as const, value: {} } } },
  { event: { eventId: "bad\u0000id", event: { case: "healthStatusChanged" as const, value: { serviceId: ENGINE } } } },
];

it("refuses a non-admin an engine-only event before looking at its fields", async () => {
  for (const forgery of forgeries) {
    const [code, reason, message] = await outcome(emit(forgery, "alice"));
    expect([code, reason]).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    expect(message).toMatch(/^principal "alice" may not emit this event: /);
  }
});

it("still tells an admin, who may emit them, what is wrong with them", async () => {
  expect(await outcome(emit(forgeries[0]!, "root"))).toEqual(["InvalidArgument", "VALIDATION_ERROR", "event.security_violation.kind is required"]);
  const [code, reason] = await outcome(emit(forgeries[1]!, "root"));
  expect([code, reason]).toEqual(["InvalidArgument", "VALIDATION_ERROR"]);
});

it("answers an Emit without an event as before, whoever sends it", async () => {
  expect(await outcome(emit({}, "alice"))).toEqual(["InvalidArgument", "VALIDATION_ERROR", "event is required"]);
});
