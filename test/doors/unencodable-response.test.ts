// A response the server cannot encode (protobuf-es refusing a field out of its type's range) is the
// server's fault: on the HTTP door connect-node would answer INTERNAL in protobuf-es's own words
// ("serialize binary: cannot encode field ... invalid uint32: ..."). It is INTERNAL "internal error"
// with ErrorInfo, as any unknown error, and the words go to the log. Driven on the request gate's
// mend: through the server no response is unencodable any more (test/api/lone-surrogates.test.ts).
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { mendUndecodableRequests } from "../../src/doors/undecodable-request.ts";

function mended(err: ConnectError): { err: ConnectError; told: [string, string][] } {
  const ac = new AbortController();
  const ctx = { signal: ac.signal, service: { typeName: "scriptengine.v1.ScriptService" }, method: { name: "RunScript", input: { typeName: "scriptengine.v1.RunScriptRequest" } } } as unknown as HandlerContext;
  const told: [string, string][] = [];
  mendUndecodableRequests(ctx, 1 << 20, (method, detail) => told.push([method, detail]));
  ac.abort(err); // connect-node aborts the call's context with the error before it encodes it
  return { err, told };
}

describe("a response the HTTP door cannot encode", () => {
  const binary = "serialize binary: cannot encode field scriptengine.v1.ExecutionError.line to binary: invalid uint32: 4294967296";
  const json = "cannot encode message google.protobuf.Timestamp to JSON: must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z inclusive";

  it.each([["binary", binary], ["JSON", json]])("is INTERNAL in generic words (%s), the library's told to the log", (_, text) => {
    const { err, told } = mended(new ConnectError(text, Code.Internal));
    expect([err.code, err.rawMessage, err.findDetails(ErrorInfoSchema)[0]?.reason]).toEqual([Code.Internal, "internal error", "INTERNAL_ERROR"]);
    expect(told).toEqual([["scriptengine.v1.ScriptService/RunScript", text]]);
  });

  it("leaves a request that does not decode the caller's", () => {
    const { err, told } = mended(new ConnectError("parse binary: premature EOF", Code.Internal));
    expect([err.code, err.findDetails(ErrorInfoSchema)[0]?.reason]).toEqual([Code.InvalidArgument, "VALIDATION_ERROR"]);
    expect(told).toEqual([]);
  });
});
