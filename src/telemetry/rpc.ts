// A server span and a duration measurement per RPC, for both doors: the guard (src/doors/guard.ts)
// calls `begin` for every call it wraps, so grpc-js and connect-node calls are traced the same way.
// A door begins each call before its handler runs (atDoor), so that a call the door itself refuses
// (a message over the cap, a bad grpc-timeout, a body not in time, a refused credential) is
// recorded too; the guard's `begin` takes that call over when the handler runs.
// The caller's trace is continued from the `traceparent` (W3C) header, whatever the door.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Meter, type Tracer } from "@opentelemetry/api";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import {
  ATTR_ERROR_TYPE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_RPC_SYSTEM_NAME,
  METRIC_RPC_SERVER_CALL_DURATION,
  SERVER_ERROR_CODES,
  statusName,
} from "./semconv.ts";
import { spanClock, withClock } from "./clock.ts";
import { clipText, MAX_ERROR_MESSAGE_BYTES } from "../errors.ts";

export interface RpcCall {
  /** Runs `fn` with the RPC span as the active span (children attach to it). */
  within<T>(fn: () => T): T;
  /** The same for every step of a response stream. */
  bind<T>(source: AsyncIterable<T>): AsyncIterable<T>;
  /** Ends the span and records the duration with the call's status code. */
  end(code: number, error?: Error): void;
}

export interface RpcTelemetry {
  /** Begins the call's span, or takes over the one its door began (atDoor). */
  begin(method: string, ctx: HandlerContext): RpcCall;
}

/** A call its door began (atDoor), until its handler's `begin` takes it. */
interface DoorCall {
  call: RpcCall;
  taken: boolean;
}

const doorCallKey = createContextKey<DoorCall | undefined>(undefined, { description: "RPC span begun by the door" });

/** What a door's call needs of a HandlerContext before any handler has one. */
export type DoorContext = Pick<HandlerContext, "protocolName" | "requestHeader" | "values">;

/**
 * Begins `method`'s call at its door, as its headers arrive, and puts it in `ctx.values` for the
 * handler's `begin` to take over. The door calls `refused` when the call ends: unless a handler
 * took it, it is ended there with that status (the door refused it). `final`: the door sent that
 * status itself, whatever the handler does (grpc-js refusing a stream whose handler runs): it ends
 * the call even if a handler took it, whose own end, later, then changes nothing.
 */
export function atDoor(telemetry: RpcTelemetry, method: string, ctx: DoorContext): (code: number, error?: Error, final?: boolean) => void {
  const early: DoorCall = { call: telemetry.begin(method, ctx as HandlerContext), taken: false };
  ctx.values.set(doorCallKey, early);
  return (code, error, final = false) => {
    if (early.taken && !final) return;
    early.taken = true;
    early.call.end(code, error);
  };
}

const headerGetter = {
  get: (h: Headers, key: string) => h.get(key) ?? undefined,
  keys: (h: Headers) => [...h.keys()],
};

/** Connect's own protocol is "connectrpc"; gRPC and gRPC-Web (either door) are "grpc". */
const systemOf = (protocolName: string) => (protocolName === "connect" ? "connectrpc" : "grpc");

export function bindIterable<T>(active: Context, source: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      return {
        next: (...args: [] | [unknown]) => context.with(active, () => it.next(...args)),
        return: (value?: unknown) => (it.return ? context.with(active, () => it.return!(value)) : Promise.resolve({ done: true as const, value: value as T })),
        throw: (err?: unknown) => (it.throw ? context.with(active, () => it.throw!(err)) : Promise.reject(err)),
      };
    },
  };
}

export function rpcTelemetry(tracer: Tracer, meter: Meter): RpcTelemetry {
  const duration = meter.createHistogram(METRIC_RPC_SERVER_CALL_DURATION, {
    description: "Duration of incoming RPCs (both doors)",
    unit: "s",
    advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
  });
  return {
    begin(method, hctx) {
      const early = hctx.values?.get(doorCallKey);
      if (early && !early.taken) {
        early.taken = true;
        return early.call;
      }
      const clock = spanClock();
      const t0 = performance.now();
      const system = systemOf(hctx.protocolName);
      const parent = propagation.extract(ROOT_CONTEXT, hctx.requestHeader, headerGetter);
      const span = tracer.startSpan(method, { kind: SpanKind.SERVER, startTime: clock(t0), attributes: { [ATTR_RPC_SYSTEM_NAME]: system, [ATTR_RPC_METHOD]: method } }, parent);
      // Its children (execution.ts) take their times from the same clock.
      const active = withClock(trace.setSpan(parent, span), clock);
      let ended = false;
      return {
        within: (fn) => context.with(active, fn),
        bind: (source) => bindIterable(active, source),
        end(code, error) {
          if (ended) return;
          ended = true;
          const status = statusName(code);
          const attributes: Record<string, string> = { [ATTR_RPC_SYSTEM_NAME]: system, [ATTR_RPC_METHOD]: method, [ATTR_RPC_STATUS_CODE]: status };
          span.setAttribute(ATTR_RPC_STATUS_CODE, status);
          if (SERVER_ERROR_CODES.has(code)) {
            attributes[ATTR_ERROR_TYPE] = status;
            span.setAttribute(ATTR_ERROR_TYPE, status);
            // The service's own errors are clipped already; a library's may quote the request.
            span.setStatus({ code: SpanStatusCode.ERROR, message: error && clipText(error.message, MAX_ERROR_MESSAGE_BYTES) });
          }
          const t1 = performance.now();
          span.end(clock(t1));
          duration.record((t1 - t0) / 1000, attributes);
        },
      };
    },
  };
}
