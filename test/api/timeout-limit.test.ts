// A script stopped by its time limits says which one: ErrorInfo carries the wall limit (timeout_ms),
// the CPU-time budget when the level has a CPU share (cpu_time_ms), and `limit`, the one that hit.
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

const run = (source: string, timeoutMs: number, level: SecurityLevel, maxCpuPercentage?: number) =>
  failure(clientFor(ScriptService, "grpc-js", server).runScript({ source, context: { timeout: durationFromMs(timeoutMs), securityContext: { securityLevel: level }, ...(maxCpuPercentage && { resourceLimits: { maxCpuPercentage } }) } }));

// A busy loop reaches a CPU budget before the wall limit only if it gets more than its share of a
// core: at Safe's 50 %, a loaded machine (two cores, other tests' workers spinning) gave it less, and
// the wall limit stopped it. These ask a 10 % share, which the loop gets however loaded the machine.
it("a busy loop at Safe is stopped by its CPU-time budget (its CPU share of the wall limit), and says so", async () => {
  const f = await run("while (true) {}", 10_000, SecurityLevel.SAFE, 10);
  expect([f.code, f.reason, f.err.rawMessage]).toEqual(["DeadlineExceeded", "TIMEOUT", "the script exceeded its CPU time limit of 1000 ms"]);
  expect(f.metadata).toMatchObject({ timeout_ms: "10000", cpu_time_ms: "1000", limit: "cpu_time" });
});

it("a script waiting past its wall limit names the wall clock, beside its CPU budget", async () => {
  const f = await run("export default async () => { await new Promise((r) => setTimeout(r, 10_000)); }", 800, SecurityLevel.SAFE);
  expect([f.code, f.reason]).toEqual(["DeadlineExceeded", "TIMEOUT"]);
  expect(f.err.rawMessage).toContain("wall-clock limit of 800 ms");
  expect(f.metadata).toMatchObject({ timeout_ms: "800", cpu_time_ms: "400", limit: "wall_clock" });
});

it("without a CPU share the budget is the wall clock: no cpu_time_ms, limit wall_clock", async () => {
  const f = await run("while (true) {}", 800, SecurityLevel.DEVELOPMENT);
  expect(f.reason).toBe("TIMEOUT");
  expect(f.metadata).toMatchObject({ timeout_ms: "800", limit: "wall_clock" });
  expect(f.metadata).not.toHaveProperty("cpu_time_ms");
});

it("an odd wall limit: the message and ErrorInfo name the same whole-millisecond CPU budget", async () => {
  const f = await run("while (true) {}", 6995, SecurityLevel.SAFE, 10); // 699.5 ms of CPU
  expect(f.err.rawMessage).toBe("the script exceeded its CPU time limit of 700 ms");
  expect(f.metadata).toMatchObject({ timeout_ms: "6995", cpu_time_ms: "700", limit: "cpu_time" });
});
