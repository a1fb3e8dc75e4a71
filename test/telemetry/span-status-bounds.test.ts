// A span's status message and names may quote the caller or the script (a failed tool call's
// error named the script's own hostname, any length): the spans keep a bounded part, and the http
// tool's errors quote a bounded part of the host or method they refuse.
import { describe, expect, it } from "vitest";
import { metrics, SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { executionTelemetry } from "../../src/telemetry/execution.ts";
import { httpTool } from "../../src/tools/http-tool.ts";
import type { ToolCallInfo } from "../../src/engine/types.ts";

const MiB = 1024 * 1024;
const HUGE_HOST = "a".repeat(MiB) + ".com";
const options = { allowList: ["example.com"], maxResponseBytes: 1024, timeoutMs: 1000 };
const refusal = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a refusal"); }, (err: Error) => err);

function setup() {
  const spans = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const telemetry = executionTelemetry(provider.getTracer("test"), metrics.getMeter("test"));
  return { spans, telemetry };
}

describe("http tool errors quote a bounded part of the script's input", () => {
  it("a host not on the allow-list (Production)", async () => {
    const err = await refusal(httpTool({ url: `http://${HUGE_HOST}/` }, "production", options, new AbortController().signal, () => {}));
    expect(err.message).toMatch(/^http: host a+… is not on the allow-list$/);
    expect(Buffer.byteLength(err.message)).toBeLessThanOrEqual(300);
  });

  it("a method not allowed (Development)", async () => {
    const err = await refusal(httpTool({ url: "http://127.0.0.1:9/", method: "x".repeat(MiB) }, "development", options, new AbortController().signal, () => {}));
    expect(err.message).toMatch(/^http: method X+… is not allowed$/);
    expect(Buffer.byteLength(err.message)).toBeLessThanOrEqual(300);
  });
});

describe("engine spans keep a bounded status message", () => {
  it("a failed tool call's span: its status and its name", async () => {
    const { spans, telemetry } = setup();
    const trace = telemetry.start({ scriptId: "s", executionId: "e", level: "production" });
    trace.dispatched({ queueWaitMs: 0, cacheHit: true, workerId: "w1" });
    const failing = trace.tools(async () => { throw new Error(`http: host ${HUGE_HOST} is not on the allow-list`); });
    await expect(failing("t".repeat(MiB), {}, {} as ToolCallInfo)).rejects.toThrow(/allow-list/); // the script still gets its error
    trace.done(undefined, new Error("x".repeat(MiB)));
    const all = spans.getFinishedSpans();
    const tool = all.find((s) => s.name.startsWith("scriptengine.tool"))!;
    expect(tool.status.code).toBe(SpanStatusCode.ERROR);
    expect(tool.status.message).toMatch(/^http: host a+…$/);
    expect(Buffer.byteLength(tool.status.message!)).toBeLessThanOrEqual(512);
    expect(Buffer.byteLength(tool.name)).toBeLessThanOrEqual(512);
    expect(Buffer.byteLength(String(tool.attributes["scriptengine.tool.name"]))).toBeLessThanOrEqual(512);
    const run = all.find((s) => s.name === "scriptengine.run")!;
    expect(Buffer.byteLength(run.status.message!)).toBeLessThanOrEqual(512);
  });

  it("an execution refused before it ran, and a failed host-side compile", async () => {
    const { spans, telemetry } = setup();
    telemetry.start({ scriptId: "s", executionId: "e", level: "production" }).done(undefined, new Error("q".repeat(MiB)));
    await expect(telemetry.compile("s", async () => { throw new Error("c".repeat(MiB)); })).rejects.toThrow();
    const all = spans.getFinishedSpans();
    expect(all.map((s) => s.name).sort()).toEqual(["scriptengine.compile", "scriptengine.queue_wait"]);
    for (const s of all) {
      expect(s.status.code).toBe(SpanStatusCode.ERROR);
      expect(Buffer.byteLength(s.status.message!)).toBeLessThanOrEqual(512);
    }
  });
});
