// A Start or Stop waits its turn behind the one before it; if its caller leaves meanwhile (cancels,
// or its deadline passes), the caller was told it did not happen, so it does not run later.
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { SecurityLevel, ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { settle, until, untilMetrics } from "../helpers/until.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BUSY = (ms: number) => `export default () => { const t = Date.now(); while (Date.now() - t < ${ms}); return 1; }`;

const server = serverForTests({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=10s"] }, { checkExit: false });
const scripts = () => clientFor(ScriptService, "grpc-js", server);
const status = async () => (await scripts().healthCheck({})).health?.status;

/**
 * A Stop held draining (within the 10 s grace) by a busy execution, for as long as the calls queued
 * behind it need, however slow the machine; at Production level, whose CPU budget (22.5 s) a 5 s
 * loop cannot run out as Safe's 5 s would. Both calls go into `pending`, for the test to settle.
 */
async function drainingStop(pending: Promise<unknown>[]) {
  const running = scripts().runScript({ source: BUSY(5000), context: { securityContext: { securityLevel: SecurityLevel.PRODUCTION } } });
  pending.push(running);
  await untilMetrics(scripts(), "the busy execution runs", (m) => m.busyIsolates === 1n);
  const stop = scripts().stop({ reason: "maintenance" });
  pending.push(stop);
  await until("the Stop drains (STOPPING)", async () => (await status()) === ServiceStatus.STOPPING);
  return { running, stop };
}

it("a Start given up while a Stop drains does not start the engine afterwards", async () => {
  await scripts().runScript({ source: "1" });
  const pending: Promise<unknown>[] = [];
  try {
    const { running, stop } = await drainingStop(pending);
    const ac = new AbortController();
    const cancelled = failure(scripts().start({}, { signal: ac.signal }));
    pending.push(cancelled);
    await sleep(200); // the Start waits its turn meanwhile
    ac.abort();
    expect((await cancelled).code).toBe("Canceled");
    expect((await failure(scripts().start({}, { timeoutMs: 300 }))).code).toBe("DeadlineExceeded");
    expect((await running).result?.success).toBe(true);
    expect((await stop).health?.status).toBe(ServiceStatus.STOPPED);
  } finally {
    await settle(pending);
  }
  await sleep(500);
  expect(await status()).toBe(ServiceStatus.STOPPED);
  expect((await scripts().start({})).health?.status).toBe(ServiceStatus.HEALTHY);
});

it("a Stop whose deadline passed while waiting its turn does not stop the engine afterwards", async () => {
  expect(await status()).toBe(ServiceStatus.HEALTHY);
  // The turn is held by a draining Stop (not by a Start's spawn, which a fast machine ends before any
  // short deadline), so the late Stop's deadline surely passes while it waits, behind that Stop and a Start.
  const pending: Promise<unknown>[] = [];
  try {
    const { running, stop } = await drainingStop(pending);
    const start = scripts().start({});
    pending.push(start);
    await sleep(100); // the Start queues first
    expect((await failure(scripts().stop({ reason: "too late" }, { timeoutMs: 300 }))).code).toBe("DeadlineExceeded");
    expect((await running).result?.success).toBe(true);
    expect((await stop).health?.status).toBe(ServiceStatus.STOPPED);
    expect((await start).health?.status).toBe(ServiceStatus.HEALTHY);
  } finally {
    await settle(pending);
  }
  await sleep(300);
  expect(await status()).toBe(ServiceStatus.HEALTHY);
});
