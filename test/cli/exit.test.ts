// The exit code and the one error line for each kind of failure (the server's reason included).
import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { CliError, EXIT, describeError } from "../../src/cli/exit.ts";

const rpcError = (code: Code, message: string, reason?: string, metadata: Record<string, string> = {}) =>
  new ConnectError(message, code, undefined, reason ? [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: "scriptengine.v1", metadata }) }] : []);

describe("describeError", () => {
  it.each([
    [Code.Unimplemented, "NOT_IMPLEMENTED", EXIT.UNIMPLEMENTED],
    [Code.NotFound, "TOOL_NOT_FOUND", EXIT.NOT_FOUND],
    [Code.PermissionDenied, "SECURITY_VIOLATION", EXIT.DENIED],
    [Code.Unauthenticated, "UNAUTHENTICATED", EXIT.DENIED],
    [Code.Unavailable, "ENGINE_STOPPED", EXIT.UNAVAILABLE],
    [Code.DeadlineExceeded, "TIMEOUT", EXIT.LIMIT],
    [Code.ResourceExhausted, "QUEUE_FULL", EXIT.LIMIT],
    [Code.InvalidArgument, "VALIDATION_ERROR", EXIT.USAGE],
    [Code.InvalidArgument, "COMPILATION_ERROR", EXIT.FAILED],
    [Code.FailedPrecondition, "MIGRATION_IN_PROGRESS", EXIT.CONFLICT],
    [Code.AlreadyExists, "TOOL_EXISTS", EXIT.CONFLICT],
    [Code.Internal, "INTERNAL_ERROR", EXIT.INTERNAL],
  ])("code %i (%s) exits %i", (code, reason, exit) => {
    expect(describeError(rpcError(code, "something happened", reason), "h:1").exitCode).toBe(exit);
  });

  it("one line: code, reason, message, metadata", () => {
    const { line } = describeError(rpcError(Code.Unimplemented, "scriptengine.v1.MigrationService/MigrateTool is not implemented\nyet", "NOT_IMPLEMENTED", { method: "MigrateTool" }), "h:1");
    expect(line).toBe("UNIMPLEMENTED (NOT_IMPLEMENTED): scriptengine.v1.MigrationService/MigrateTool is not implemented yet [method=MigrateTool]");
  });

  it("an unreachable server names the address; CLI errors keep their own code", () => {
    expect(describeError(rpcError(Code.Unavailable, "connect ECONNREFUSED"), "10.0.0.1:50051").line).toBe("UNAVAILABLE: cannot reach 10.0.0.1:50051: connect ECONNREFUSED");
    expect(describeError(new CliError("bad flag"), "").exitCode).toBe(EXIT.USAGE);
  });

  it("grpc-js's empty trailing 'Resolution note:' is left out", () => {
    const err = rpcError(Code.Unavailable, "No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ");
    expect(describeError(err, "127.0.0.1:1").line).toBe("UNAVAILABLE: cannot reach 127.0.0.1:1: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.");
  });
});
