// `scriptengine events` names where a SecurityViolation came from when the server knows it.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { ServiceEventSchema } from "../../clients/ts/src/index.ts";
import { summary } from "../../src/cli/commands/events.ts";

const violation = (peer: string) =>
  summary(create(ServiceEventSchema, { event: { case: "securityViolation", value: { kind: "limit_exceeded", principal: "app", scriptId: "s1", detail: "memory", peer } } }));

it("says the caller's address, and nothing when it is unknown", () => {
  expect(violation("[::1]:50123")).toBe("limit_exceeded by app from [::1]:50123 in s1: memory");
  expect(violation("")).toBe("limit_exceeded by app in s1: memory");
});
