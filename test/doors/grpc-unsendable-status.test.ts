// grpc-js percent-encodes a status message with encodeURI, which throws on a lone surrogate: the
// status is never sent and the caller waits for its deadline. Errors made by errors.ts are
// well-formed (test/api/lone-surrogates.test.ts, through the server); whatever else reaches the
// gRPC door's sendStatus unsendable is answered INTERNAL with a generic message, logged throttled.
// Driven on the interceptor itself: through the server nothing unsendable reaches it any more.
import * as grpc from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { grpcJsStatusesWithErrorInfo } from "../../src/doors/grpc-js-statuses.ts";
import type { Logger } from "../../src/log.ts";

type Status = Parameters<grpc.ServerInterceptingCallInterface["sendStatus"]>[0];

/** A call whose sendStatus writes as grpc-js does (encodeURI on the message), failing `failures` times first. */
function fakeCall(failures = 0) {
  const sent: Status[] = [];
  const call = {
    sendStatus(status: Status) {
      if (failures-- > 0) throw new Error("stream write failed");
      encodeURI(status.details);
      sent.push(status);
    },
  } as unknown as grpc.ServerInterceptingCallInterface;
  return { call, sent };
}

function logger() {
  const warned: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log = { warn: (msg: string, fields?: Record<string, unknown>) => warned.push({ msg, fields }) } as unknown as Logger;
  return { log, warned };
}

const method = { path: "/scriptengine.v1.ScriptService/RunScript" } as grpc.ServerMethodDefinition<unknown, unknown>;
const reasonOf = (s: Status) => {
  const status = fromBinary(StatusSchema, s.metadata!.get("grpc-status-details-bin")[0] as Buffer);
  return anyUnpack(status.details[0]!, ErrorInfoSchema)?.reason;
};

describe("a status the gRPC door cannot send as made", () => {
  it("is INTERNAL with a generic message when its message holds a lone surrogate, logged once per window", () => {
    const { log, warned } = logger();
    const interceptor = grpcJsStatusesWithErrorInfo(1 << 20, undefined, log);
    for (let i = 0; i < 3; i++) {
      const { call, sent } = fakeCall();
      interceptor(method, call);
      call.sendStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: "Array buffer allocation failed \ud800", metadata: new grpc.Metadata() });
      expect(sent.map((s) => [s.code, s.details, reasonOf(s)])).toEqual([[grpc.status.INTERNAL, "internal error", "INTERNAL_ERROR"]]);
    }
    expect(warned).toHaveLength(1);
    expect(warned[0]!.fields).toMatchObject({ method: method.path, code: "RESOURCE_EXHAUSTED" });
  });

  it("is INTERNAL when grpc-js throws sending it, and a well-formed status goes as it is", () => {
    const { log, warned } = logger();
    const interceptor = grpcJsStatusesWithErrorInfo(1 << 20, undefined, log);
    const failing = fakeCall(1);
    interceptor(method, failing.call);
    failing.call.sendStatus({ code: grpc.status.NOT_FOUND, details: "no such script", metadata: new grpc.Metadata() });
    expect(failing.sent.map((s) => [s.code, s.details])).toEqual([[grpc.status.INTERNAL, "internal error"]]);
    expect(warned.map((w) => w.fields?.why)).toEqual(["stream write failed"]);
    const fine = fakeCall();
    interceptor(method, fine.call);
    fine.call.sendStatus({ code: grpc.status.NOT_FOUND, details: "no such script", metadata: new grpc.Metadata() });
    expect(fine.sent.map((s) => [s.code, s.details])).toEqual([[grpc.status.NOT_FOUND, "no such script"]]);
  });
});
