// connect-node aborts a call's context with the error it is about to send, on all three protocols,
// so the request gate can watch the call's signal for it (undecodable-request.ts mends it in place,
// request-body.ts stops the body's reading, guard.ts ends the call's span). But a call whose
// deadline had already passed as it arrived (`connect-timeout-ms: 0`, `grpc-timeout: 0m`: a client
// passing on a deadline it has spent) has its signal aborted before the gate runs, and a signal
// aborts once: connect-node still serves the call (as grpc-js does on the other door), and its
// later errors went out unseen (a truncated binary body as INTERNAL "parse binary: ...", no
// ErrorInfo). Such a call's errors are caught where connect-node aborts its context with them
// (HandlerContextController.abort, what createHandlerContext returns and the gate is handed).
import type { HandlerContext } from "@connectrpc/connect";

type Abortable = HandlerContext & { abort?: (reason?: unknown) => void };

/** The callbacks waiting for a spent call's abort, in the order they were given (one wrapper per context). */
const waiting = new WeakMap<HandlerContext, ((reason: unknown) => void)[]>();

/**
 * Calls `fn` once, with the reason the call is aborted for: the error connect-node is about to
 * send, the call's deadline, the caller going away, or (a call that ended well, its signal live
 * until then) an AbortError. Callbacks run in the order they were given, on both paths (as the
 * signal's listeners do): the request gate relies on it (the error is mended before the call's
 * telemetry records its code).
 */
export function onceAborted(ctx: HandlerContext, fn: (reason: unknown) => void): void {
  if (!ctx.signal.aborted) return void ctx.signal.addEventListener("abort", () => fn(ctx.signal.reason), { once: true });
  const queued = waiting.get(ctx);
  if (queued) return void queued.push(fn);
  const controller = ctx as Abortable;
  const abort = controller.abort;
  if (typeof abort !== "function") return; // not connect-node's context: nothing to watch
  const fns = [fn];
  waiting.set(ctx, fns);
  let called = false;
  controller.abort = (reason) => {
    // The first abort says how the call ended; one with no reason is a call that ended well.
    if (!called && reason !== undefined) for (const each of fns) each(reason);
    called = true;
    abort.call(controller, reason);
  };
}
