// toServiceError: a core's typed error keeps what it says in ErrorInfo.
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { toServiceError } from "../../src/errors.ts";

describe("toServiceError", () => {
  it("keeps a reason error's own metadata when it sets no resource or limit fields", () => {
    const err = Object.assign(new Error("too many"), { reason: "RESOURCE_EXCEEDED", metadata: { resource: "registrations", limit: 10, principal: "p" } });
    const e = toServiceError(err);
    expect(e.code).toBe(Code.ResourceExhausted);
    expect(e.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ resource: "registrations", limit: "10", principal: "p" });
    // Set fields win over the metadata's.
    const f = toServiceError(Object.assign(new Error("x"), { reason: "RESOURCE_EXCEEDED", resource: "memory", metadata: { resource: "other" } }));
    expect(f.findDetails(ErrorInfoSchema)[0]?.metadata.resource).toBe("memory");
  });
});
