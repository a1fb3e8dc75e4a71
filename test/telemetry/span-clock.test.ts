// The engine's spans of one call share its RPC span's time base: whatever the wall clock does
// mid-call (an NTP step), the queue wait, run, compile and tool spans lie inside the RPC span and
// their durations are the real ones. They once mixed the wall clock (Date.now(), whole
// milliseconds) with a monotonic one: a 2 s step back made a 20 ms queue wait last 2 s and the run
// start after its RPC had ended; a sub-millisecond run ended before it began (clamped to 0 with an
// "Inconsistent start and end time" warning).
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace";
import type { HandlerContext } from "@connectrpc/connect";
import { createLogger } from "../../src/log.ts";
import { startTelemetry, type Telemetry } from "../../src/telemetry/index.ts";
import type { ExecutionOutcome } from "../../src/engine/index.ts";

const spans = new InMemorySpanExporter();
const logLines: string[] = [];
let telemetry: Telemetry;

beforeAll(async () => {
  const log = createLogger("debug", {}, (line) => logLines.push(line));
  telemetry = (await startTelemetry({ enabled: true, serviceName: "clock-test", otlp: false, prometheusAddress: "" }, log, {
    spanProcessors: [new SimpleSpanProcessor({ exporter: spans })],
    metricReaders: [],
  }))!;
});
afterAll(() => telemetry?.shutdown());
afterEach(() => {
  vi.restoreAllMocks();
  spans.reset();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
const ms = (s: ReadableSpan) => Number(ns(s.endTime) - ns(s.startTime)) / 1e6;
const hctx = { protocolName: "grpc", requestHeader: new Headers() } as unknown as HandlerContext;
const outcome = (compileMs: number) => ({ success: true, executionId: "e", metadata: { compileMs, cacheHit: false } }) as unknown as ExecutionOutcome;

/** One traced call: the wall clock is stepped by `stepMs` once the RPC span has started. */
async function tracedCall(stepMs: number, queueMs: number, runMs: number): Promise<Record<string, ReadableSpan>> {
  const call = telemetry.rpc.begin("test.v1.Svc/Run", hctx);
  const realNow = Date.now;
  const step = vi.spyOn(Date, "now").mockImplementation(() => realNow() + stepMs);
  await call.within(async () => {
    await telemetry.executions.compile("s", async () => ({ cacheHit: false }) as never);
    const x = telemetry.executions.start({ scriptId: "s", executionId: "e", level: "safe" });
    if (queueMs) await sleep(queueMs);
    x.dispatched({ queueWaitMs: queueMs, cacheHit: false, workerId: "w1" });
    await x.tools(async () => {
      await sleep(1);
      return null;
    })("http", {}, {} as never);
    if (runMs) await sleep(runMs);
    x.done(outcome(0.5));
  });
  call.end(0);
  step.mockRestore();
  // Exported once the resource's attributes are known: not always at once.
  for (let i = 0; i < 100 && spans.getFinishedSpans().length < 6; i++) await sleep(10);
  const list = spans.getFinishedSpans();
  const rpc = list.find((s) => s.name === "test.v1.Svc/Run")!;
  const run = list.find((s) => s.name === "scriptengine.run")!;
  const workerCompile = list.find((s) => s.name === "scriptengine.compile" && s.parentSpanContext?.spanId === run.spanContext().spanId)!;
  const hostCompile = list.find((s) => s.name === "scriptengine.compile" && s.parentSpanContext?.spanId === rpc.spanContext().spanId)!;
  const queue = list.find((s) => s.name === "scriptengine.queue_wait")!;
  const tool = list.find((s) => s.name === "scriptengine.tool http")!;
  return { rpc, run, queue, workerCompile, hostCompile, tool };
}

function expectInside(child: ReadableSpan, parent: ReadableSpan) {
  expect(ns(child.startTime), child.name).toBeGreaterThanOrEqual(ns(parent.startTime));
  expect(ns(child.endTime), child.name).toBeLessThanOrEqual(ns(parent.endTime));
}

it.each([0, -2000, 2000])("with the wall clock stepped %i ms mid-call, children lie inside their parents with their real durations", async (step) => {
  const s = await tracedCall(step, 20, 5);
  for (const child of [s.queue, s.run, s.hostCompile]) expectInside(child, s.rpc);
  for (const child of [s.workerCompile, s.tool]) expectInside(child, s.run);
  expect(ns(s.queue.endTime)).toBe(ns(s.run.startTime));
  expect(ms(s.queue)).toBeGreaterThanOrEqual(19);
  expect(ms(s.queue)).toBeLessThan(ms(s.rpc));
  expect(ms(s.run)).toBeGreaterThanOrEqual(5);
  expect(ms(s.workerCompile)).toBeCloseTo(0.5, 3);
  expect(ms(s.rpc)).toBeLessThan(1000);
});

it("a run shorter than a millisecond gets its own duration, not zero, and the SDK has nothing to warn about", async () => {
  for (let i = 0; i < 20; i++) {
    const s = await tracedCall(0, 0, 0);
    expect(ms(s.run)).toBeGreaterThan(0);
    expectInside(s.run, s.rpc);
    spans.reset();
  }
  expect(logLines.filter((l) => l.includes("Inconsistent"))).toEqual([]);
});
