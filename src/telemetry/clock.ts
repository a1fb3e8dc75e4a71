// One time base for all the spans of one call. Left to itself the SDK maps a performance.now() time
// to the epoch with an offset each span takes from Date.now() (whole milliseconds) when it starts,
// and a span started at a given time but ended with none ends at Date.now(): spans of one call then
// disagree by up to a millisecond, or by a wall-clock step (NTP) taken mid-call, so children ended
// outside their RPC span and short runs came out negative (clamped to 0). Here the offset is taken
// once, when the RPC span starts, and every span of that call gets explicit times on it.
import { createContextKey, type Context, type HrTime } from "@opentelemetry/api";

/** A performance.now() time (default: now) as a span time on this call's base. */
export type SpanClock = (perfNow?: number) => HrTime;

const CLOCK = createContextKey("scriptengine.span_clock");

export function spanClock(): SpanClock {
  const offset = Date.now() - performance.now();
  return (perfNow = performance.now()) => hrTime(perfNow + offset);
}

/** The context with the call's clock, for the spans started under it. */
export const withClock = (ctx: Context, clock: SpanClock): Context => ctx.setValue(CLOCK, clock);

/** The call's clock, or (outside any RPC span) a base of its own. */
export const clockOf = (ctx: Context): SpanClock => (ctx.getValue(CLOCK) as SpanClock | undefined) ?? spanClock();

function hrTime(epochMs: number): HrTime {
  const s = Math.floor(epochMs / 1000);
  const ns = Math.round((epochMs - s * 1000) * 1e6);
  return ns >= 1e9 ? [s + 1, ns - 1e9] : [s, ns];
}
