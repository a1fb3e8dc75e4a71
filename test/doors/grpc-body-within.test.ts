// On the gRPC door a unary or server-streaming call whose request body never comes was held for good
// (grpc-js runs the handler only once the message and the half-close are in, and a call in progress
// keeps its connection from being idle): streams opened and left silent piled up, unauthenticated.
// As on the HTTP door, that body must arrive within server.idle_timeout: DEADLINE_EXCEEDED TIMEOUT.
import * as http2 from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ toml: '[server]\nidle_timeout = "1s"\n' });

interface End { status?: string; reason?: string }

/** Opens a gRPC call, sends `body` (or nothing) without ending the stream; resolves how it ended, or {} after `waitMs`. */
function silentCall(path: string, body: Buffer | undefined, waitMs: number): Promise<End> {
  const session = http2.connect(`http://${server.grpc}`);
  session.on("error", () => {});
  let give: NodeJS.Timeout | undefined;
  return new Promise<End>((resolve) => {
    const end: End = {};
    give = setTimeout(() => resolve(end), waitMs);
    const st = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) end.status = String(h["grpc-status"]);
      const bin = h["grpc-status-details-bin"];
      if (typeof bin === "string") {
        const info = fromBinary(StatusSchema, Buffer.from(bin, "base64")).details.find((d) => d.typeUrl.endsWith("/google.rpc.ErrorInfo"));
        if (info) end.reason = fromBinary(ErrorInfoSchema, info.value).reason;
      }
      if (end.status !== undefined) resolve(end); // the server's end is in; this side never ends its own
    };
    st.on("response", read);
    st.on("trailers", read);
    st.on("data", () => {});
    st.on("error", () => {});
    st.on("close", () => resolve(end));
    if (body) st.write(body);
  }).finally(() => {
    clearTimeout(give);
    session.destroy();
  });
}

const envelope = (msg: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]);

describe("gRPC door: a request body that never comes", () => {
  for (const [kind, path] of [["unary", "/scriptengine.v1.ScriptService/ExecuteScript"], ["server-streaming", "/scriptengine.v1.EventService/Subscribe"]] as const) {
    it(`${kind}: no body within idle_timeout ends the call, DEADLINE_EXCEEDED TIMEOUT`, { timeout: 15_000 }, async () => {
      expect(await silentCall(path, undefined, 8000)).toEqual({ status: "4", reason: "TIMEOUT" });
    });
  }

  it("a message sent but the stream never half-closed is not a whole body either", { timeout: 15_000 }, async () => {
    const msg = Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from("abc")]);
    expect(await silentCall("/scriptengine.v1.ScriptService/ExecuteScript", envelope(msg), 8000)).toEqual({ status: "4", reason: "TIMEOUT" });
  });
});
