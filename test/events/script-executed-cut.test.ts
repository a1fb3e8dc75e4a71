// A run that started and then was cut at the end of the grace (ENGINE_STOPPED) or died with its worker
// (WORKER_CRASHED) publishes ScriptExecuted success false, as a timeout or a cancel does: GetMetrics
// counts it in failed_executions, and the event stream published nothing for it. A queued run the
// Stop refused never started, and publishes nothing.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ScriptExecuted } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { childPids } from "../helpers/procs.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { settle, until, untilMetrics } from "../helpers/until.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=1s"] });

// Holds its worker's thread past the grace.
const BUSY = "export default () => { const t = Date.now(); while (Date.now() - t < 8000); return 1; }";
const QUEUED = "export default () => 'queued'";

const seen: ScriptExecuted[] = [];
const subscription = new AbortController();
beforeAll(async () => {
  const stream = clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["script_executed"] }, { signal: subscription.signal });
  let live = () => {};
  const started = new Promise<void>((r) => (live = r));
  void (async () => {
    for await (const m of stream) {
      if (m.message.case === "started") live();
      else if (m.message.case === "event" && m.message.value.event.case === "scriptExecuted") seen.push(m.message.value.event.value);
    }
  })().catch(() => undefined);
  await started;
});
afterAll(() => subscription.abort());

const eventOf = (executionId: string) => until(`a ScriptExecuted for ${executionId}`, () => seen.find((e) => e.executionId === executionId));
const ID = (n: number) => `7d1c2e3f-4a5b-4c6d-8e7f-00000000000${n}`;

it("a run cut at the end of Stop's grace publishes ScriptExecuted success false; a queued one refused publishes nothing", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  await scripts.runScript({ source: QUEUED }); // compiled: the run below queues for the worker, not for a compiler
  const cut = failure(scripts.runScript({ source: BUSY, context: { executionId: ID(1) } }));
  const held: Promise<unknown>[] = [cut];
  try {
    await untilMetrics(scripts, "the busy execution runs", (m) => m.busyIsolates === 1n);
    const queued = failure(scripts.runScript({ source: QUEUED, context: { executionId: ID(2) } }));
    held.push(queued);
    await untilMetrics(scripts, "the other run is queued", (m) => m.queueLength === 1n);
    const before = await untilMetrics(scripts, "metrics before", () => true);
    const stopping = scripts.stop({ reason: "maintenance" });
    held.push(stopping);
    expect((await queued).err.rawMessage).toMatch(/did not start/);
    expect((await cut).reason).toBe("ENGINE_STOPPED");
    const e = await eventOf(ID(1));
    expect([e.scriptId, e.success, e.resourceUsage?.memoryBytes]).toEqual(["adhoc", false, 0n]);
    expect(e.duration).toBeDefined();
    // Published in order: the refusal came first, and published nothing.
    expect(seen.find((x) => x.executionId === ID(2))).toBeUndefined();
    await stopping;
    await scripts.start({});
    const after = await untilMetrics(scripts, "metrics after", () => true);
    expect(after.failedExecutions - before.failedExecutions).toBe(1n);
  } finally {
    await settle(held);
  }
}, 60_000);

it("a run whose worker died under it publishes ScriptExecuted success false", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const call = failure(scripts.runScript({ source: "for (;;) {}", context: { executionId: ID(3) } }));
  try {
    await untilMetrics(scripts, "the run has started on its worker", (m) => m.busyIsolates === 1n);
    for (const pid of childPids(server.proc.pid!)) process.kill(pid, "SIGKILL");
    expect((await call).reason).toBe("WORKER_CRASHED");
    const e = await eventOf(ID(3));
    expect([e.success, e.resourceUsage?.cpuPercentage]).toEqual([false, 0]);
  } finally {
    await settle([call]);
  }
}, 60_000);
