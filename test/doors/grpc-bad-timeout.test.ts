// grpc-timeout is 1 to 8 ASCII digits and a unit, the whole value. grpc-js (gRPC port) found the
// first digits and unit anywhere ("-1S" was a 1 s deadline, "1.5S" 5 s, "100000000H" one passed at
// once) and answered what it found none in INTERNAL, while connect-node (HTTP port) refused all of
// these INVALID_ARGUMENT in its own words. Both ports now refuse a value outside the grammar with
// the same error, and honour one inside it.
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RunScriptRequestSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { scriptServiceByHand } from "../helpers/grpc-by-hand.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();
const DOORS = ["grpc", "http"] as const;

/** A gRPC call over `door` with this grpc-timeout and message; resolves its status, ErrorInfo reason and message. */
async function call(door: (typeof DOORS)[number], timeout: string, method = "GetConfig", message = new Uint8Array()) {
  const { status, reason, message: text } = await scriptServiceByHand(server[door], timeout, method, message);
  return { status, reason, message: text };
}

describe("grpc-timeout outside its grammar", () => {
  for (const timeout of ["", "abc", "1", "1s", "-1S", "1.5S", "1 S", "999999999999999999S", "100000000H", "9".repeat(100) + "S"]) {
    it(`${JSON.stringify(timeout.slice(0, 24))} is INVALID_ARGUMENT VALIDATION_ERROR, the same on both ports`, { timeout: 15_000 }, async () => {
      const shown = timeout.length > 64 ? `${timeout.slice(0, 64)}...` : timeout;
      const message = `grpc-timeout ${JSON.stringify(shown)} is not 1 to 8 digits and a unit (H, M, S, m, u or n)`;
      for (const door of DOORS) expect({ door, ...(await call(door, timeout)) }).toEqual({ door, status: "3", reason: "VALIDATION_ERROR", message });
    });
  }
});

describe("grpc-timeout inside its grammar", () => {
  // 99999999H is past what a timer holds: taken as no deadline (long-deadlines.ts).
  for (const timeout of ["10S", "01S", "99999999H"]) {
    it(`${timeout} serves the call on both ports`, { timeout: 15_000 }, async () => {
      for (const door of DOORS) expect({ door, status: (await call(door, timeout)).status }).toEqual({ door, status: "0" });
    });
  }

  it("a script the deadline stops is told so, not that it exceeded its own wall-clock limit", { timeout: 30_000 }, async () => {
    // It waits without using CPU, so its CPU-time budget (a share of the wall limit) is not what stops it.
    const wait = toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, { source: "export default () => new Promise(() => {})" }));
    for (const door of DOORS) {
      for (const timeout of ["1n", "500m"]) {
        const end = await call(door, timeout, "RunScript", wait);
        expect({ door, timeout, status: end.status, reason: end.reason }).toEqual({ door, timeout, status: "4", reason: "TIMEOUT" });
        expect(end.message, `${door} ${timeout}`).toMatch(/^the call's deadline (passed|ran out)/);
      }
    }
  });
});
