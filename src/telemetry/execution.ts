// Spans and counts of the engine's work, children of the RPC span that asked for it:
//   scriptengine.queue_wait  from admission to a worker taking the job
//   scriptengine.run         from dispatch to the result (the worker's whole part)
//     scriptengine.compile   preparing and compiling the code inside the worker (cache hit or miss),
//                            drawn from the worker's own measurement at the start of the run
//     scriptengine.tool      each host tool call the script makes (the http tool passes the trace on)
//   scriptengine.compile     also for the host-side compile of CompileScript / RunScript
// Every span is given explicit start and end times on its RPC's clock (clock.ts), so children lie
// inside their parent whatever the wall clock does meanwhile.
// A status message or attribute taken from an error or a name may quote the caller or the script
// (a tool error naming a megabyte hostname): each is clipped, as a batch of spans is held in memory
// and exported whole.
import { SpanStatusCode, context, trace, type Context, type Meter, type Span, type Tracer } from "@opentelemetry/api";
import type { CompileResult, ExecutionOutcome, ToolCallback } from "../engine/index.ts";
import {
  ATTR_CACHE_HIT,
  ATTR_EXECUTION_ID,
  ATTR_OUTCOME,
  ATTR_SCRIPT_ID,
  ATTR_SECURITY_LEVEL,
  ATTR_TOOL_NAME,
  ATTR_WORKER_ID,
  METRIC_EXECUTIONS,
  METRIC_QUEUE_WAIT,
  METRIC_RUN_DURATION,
  SPAN_COMPILE,
  SPAN_QUEUE_WAIT,
  SPAN_RUN,
  SPAN_TOOL,
} from "./semconv.ts";
import { clockOf } from "./clock.ts";
import { clipText } from "../errors.ts";

/** Seconds: a run is bounded by its wall limit (at most 300 s by default). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The most of a status message or a name kept on a span. */
const MAX_STATUS_BYTES = 512;
const MAX_NAME_BYTES = 256;

/**
 * The outcome of an execution the engine answered with an error instead of a result: "rejected" when
 * it never ran (queue full, the caller's limit, the engine stopping), else the engine's reason for
 * a run it started but could not finish ("worker_crashed": its worker died under it;
 * "engine_stopped": stopped at the end of a shutdown's or Stop's grace), never "rejected".
 */
const unfinished = (dispatched: boolean, err: unknown): string => {
  if (!dispatched) return "rejected";
  const reason = (err as { reason?: unknown } | undefined)?.reason;
  return typeof reason === "string" && /^[A-Z_]{1,32}$/.test(reason) ? reason.toLowerCase() : "failed";
};

/** An error's message (or the value thrown) as a bounded span status message. */
const statusText = (err: unknown, fallback?: string): string =>
  clipText(String((err as Error | undefined)?.message ?? fallback ?? err), MAX_STATUS_BYTES);

export interface ExecutionTrace {
  /** Pass as ExecuteJob.onDispatch. */
  dispatched(info: { queueWaitMs: number; cacheHit: boolean; workerId: string }): void;
  /** Wraps the tools bridge: a span per tool call, active while the tool runs. */
  tools(callback: ToolCallback): ToolCallback;
  /** The engine answered (outcome) or refused/failed (error). */
  done(outcome: ExecutionOutcome | undefined, error?: unknown): void;
}

export interface ExecutionTelemetry {
  start(info: { scriptId: string; executionId: string; level: string }): ExecutionTrace;
  /**
   * An execution refused before it had a trace (RunScript's, while its new source waited for a
   * compiler: the engine stopping, a full compile queue, its cancel or deadline): counted "rejected".
   */
  refused(level: string): void;
  /** A host-side compile, as a span recording whether the compile cache answered. */
  compile(scriptId: string, fn: () => Promise<CompileResult>): Promise<CompileResult>;
}

export function executionTelemetry(tracer: Tracer, meter: Meter): ExecutionTelemetry {
  const executions = meter.createCounter(METRIC_EXECUTIONS, {
    description: "Script executions by outcome (success, an error kind, or rejected) and security level",
  });
  // The RPC's duration holds the queue wait, a host-side compile and the response too: these two
  // split what the engine did, the run (from a worker taking it to its result) and the wait before it.
  const runDuration = meter.createHistogram(METRIC_RUN_DURATION, {
    description: "Time from a worker taking an execution to its end, by outcome and security level (executions that never ran are not counted)",
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const queueWait = meter.createHistogram(METRIC_QUEUE_WAIT, {
    description: "Time an execution waited for a worker (RunScript of a new source: from its wait for a compiler), by security level (executions that never ran are not counted)",
    unit: "s",
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  return {
    start({ scriptId, executionId, level }) {
      const parent = context.active();
      const clock = clockOf(parent);
      const common = { [ATTR_SCRIPT_ID]: scriptId, [ATTR_EXECUTION_ID]: executionId, [ATTR_SECURITY_LEVEL]: level };
      const queue = tracer.startSpan(SPAN_QUEUE_WAIT, { startTime: clock(), attributes: common }, parent);
      let queueOpen = true;
      let run: Span | undefined;
      let runCtx: Context = parent;
      let runStart = 0;
      return {
        dispatched({ queueWaitMs, cacheHit, workerId }) {
          runStart = performance.now();
          queueWait.record(queueWaitMs / 1000, { [ATTR_SECURITY_LEVEL]: level });
          queue.end(clock(runStart)); // the queue wait ends exactly where the run starts
          queueOpen = false;
          run = tracer.startSpan(SPAN_RUN, { startTime: clock(runStart), attributes: { ...common, [ATTR_CACHE_HIT]: cacheHit, [ATTR_WORKER_ID]: workerId } }, parent);
          runCtx = trace.setSpan(parent, run);
        },
        tools(callback) {
          return (name, args, info) => {
            const tool = clipText(name, MAX_NAME_BYTES);
            const span = tracer.startSpan(`${SPAN_TOOL} ${tool}`, { startTime: clock(), attributes: { [ATTR_TOOL_NAME]: tool, [ATTR_EXECUTION_ID]: executionId } }, runCtx);
            return context.with(trace.setSpan(runCtx, span), () => callback(name, args, info)).then(
              (value) => {
                span.end(clock());
                return value;
              },
              (err: unknown) => {
                span.setStatus({ code: SpanStatusCode.ERROR, message: statusText(err) });
                span.end(clock());
                throw err;
              },
            );
          };
        },
        done(outcome, error) {
          const end = performance.now();
          const result = outcome ? (outcome.success ? "success" : (outcome.error?.kind ?? "failed")) : unfinished(run !== undefined, error);
          executions.add(1, { [ATTR_OUTCOME]: result, [ATTR_SECURITY_LEVEL]: level });
          if (queueOpen) {
            queue.setStatus({ code: SpanStatusCode.ERROR, message: statusText(error, "not run") });
            queue.end(clock(end));
            queueOpen = false;
          }
          if (!run) return;
          runDuration.record((end - runStart) / 1000, { [ATTR_OUTCOME]: result, [ATTR_SECURITY_LEVEL]: level });
          run.setAttribute(ATTR_OUTCOME, result);
          if (outcome) {
            const compileMs = outcome.metadata.compileMs;
            if (compileMs !== undefined) {
              // The worker's own measure, laid from the run's start (never past the run's end).
              tracer
                .startSpan(SPAN_COMPILE, { startTime: clock(runStart), attributes: { [ATTR_SCRIPT_ID]: scriptId, [ATTR_CACHE_HIT]: outcome.metadata.cacheHit } }, runCtx)
                .end(clock(Math.min(runStart + compileMs, end)));
            }
            if (!outcome.success) run.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error?.kind });
          } else {
            run.setStatus({ code: SpanStatusCode.ERROR, message: statusText(error) });
          }
          run.end(clock(end));
        },
      };
    },
    refused(level) {
      executions.add(1, { [ATTR_OUTCOME]: "rejected", [ATTR_SECURITY_LEVEL]: level });
    },
    async compile(scriptId, fn) {
      const clock = clockOf(context.active());
      const span = tracer.startSpan(SPAN_COMPILE, { startTime: clock(), attributes: { [ATTR_SCRIPT_ID]: scriptId } });
      try {
        const r = await fn();
        span.setAttribute(ATTR_CACHE_HIT, r.cacheHit);
        return r;
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: statusText(err) });
        throw err;
      } finally {
        span.end(clock());
      }
    },
  };
}
