// A busy script's CPU-time budget is its level's share of its own wall limit. It was taken of the
// wall limit the call's deadline had cut short, so a `while (true) {}` run with a grpc-timeout
// shorter than its own limits was told it exceeded its CPU time limit (half the deadline at Safe),
// where the caller's deadline is what stopped it; and one stopped by its own budget, with a deadline
// shorter than its own wall limit, was told a budget it does not have. A run the deadline stops is
// told the deadline ran out, as a waiting script is; one its own budget stops names that budget.
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { expect, it } from "vitest";
import { RunScriptRequestSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { scriptServiceByHand } from "../helpers/grpc-by-hand.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();
const BUSY = "while (true) {}";

/** RunScript over the gRPC port with this grpc-timeout, read however late the server answers. */
const run = (req: MessageInitShape<typeof RunScriptRequestSchema>, timeout: string) =>
  scriptServiceByHand(server.grpc, timeout, "RunScript", toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, req)));

it("a busy script the call's deadline stops is told the deadline ran out, not a CPU budget", { timeout: 30_000 }, async () => {
  // Safe: 10 s wall, 50 % CPU share (a 5 s budget); the deadline, 2 s less its margin, comes first.
  // Busy from its start (the worker's synchronous run), and busy once a timer woke it (a delivery,
  // watched by the worker's timers).
  for (const source of [BUSY, `export default async () => { await new Promise((r) => setTimeout(r, 1)); ${BUSY} }`]) {
    const end = await run({ source }, "2S");
    expect(end.status, source).toBe("4"); // DEADLINE_EXCEEDED
    // On a loaded machine the door's own deadline timer can answer first ("the call's deadline
    // passed", no limit named): the deadline either way, never a CPU budget.
    expect(end.message, source).toMatch(/^the call's deadline (ran out|passed)/);
    if (end.message?.includes("ran out")) expect(end.metadata?.limit, source).toBe("wall_clock");
    expect(end.metadata?.cpu_time_ms, source).toBeUndefined();
  }
});

it("a busy script its own CPU budget stops, before a shorter deadline, is told its own budget", { timeout: 30_000 }, async () => {
  // Its own wall limit 4 s, so a 2000 ms budget; the 3.5 s deadline cuts the wall limit to 3.4 s
  // but not the budget (it was 1700 ms: half the deadline).
  const end = await run({ source: BUSY, context: { timeout: durationFromMs(4000) } }, "3500m");
  expect(end.status).toBe("4");
  expect(end.message).toBe("the script exceeded its CPU time limit of 2000 ms");
  expect(end.metadata).toMatchObject({ limit: "cpu_time", cpu_time_ms: "2000" });
});
