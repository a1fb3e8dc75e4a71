// A script's CPU-time budget is its level's share of the wall limit in force, the call's deadline
// included: a share "of one core" (common.proto) that a short deadline must not lift to a whole
// core. A busy script whose wall limit the call's deadline set is stopped by that share of the
// deadline, and its error says so (a CPU limit: limit cpu_time, with cpu_time_ms), not that it
// exceeded a CPU limit of its own; a script waiting until the deadline is told the deadline ran out.
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { expect, it } from "vitest";
import { RunScriptRequestSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { scriptServiceByHand } from "../helpers/grpc-by-hand.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();

/** RunScript over the gRPC port with this grpc-timeout, read however late the server answers. */
const run = (req: MessageInitShape<typeof RunScriptRequestSchema>, timeout: string) =>
  scriptServiceByHand(server.grpc, timeout, "RunScript", toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, req)));

it("a busy script whose wall limit the call's deadline set is stopped by its CPU share of that deadline, and told so", { timeout: 30_000 }, async () => {
  // Its own wall limit 4 s (a 400 ms budget at the 10 % share it asks); the 3.5 s deadline, less its
  // margin, cuts it to ~3.4 s, and so the budget to a tenth of that (it was 400 ms: the share of its own
  // 4 s, not of the deadline). A 10 % share, not Safe's 50 %: the loop must get more than its share of a
  // core to reach the budget before the deadline, and a loaded machine gave it less than half.
  const end = await run({ source: "while (true) {}", context: { timeout: durationFromMs(4000), resourceLimits: { maxCpuPercentage: 10 } } }, "3500m");
  expect(end.status).toBe("4"); // DEADLINE_EXCEEDED
  const said = /^the script used its CPU share \(10 %\) of the call's (\d+) ms deadline: (\d+) ms$/.exec(end.message ?? "");
  expect(said, end.message).not.toBeNull();
  const [deadline, budget] = [Number(said![1]), Number(said![2])];
  expect(deadline).toBeLessThan(3500);
  expect(budget).toBe(Math.round(deadline / 10));
  expect(end.metadata).toMatchObject({ limit: "cpu_time", cpu_time_ms: String(budget) });
});

it("a script waiting until the call's deadline is told the deadline ran out", { timeout: 30_000 }, async () => {
  const end = await run({ source: "export default async () => { await new Promise((r) => setTimeout(r, 20_000)); }" }, "2S");
  expect(end.status).toBe("4");
  expect(end.message).toMatch(/^the call's deadline ran out/);
  expect(end.metadata?.limit).toBe("wall_clock");
});
