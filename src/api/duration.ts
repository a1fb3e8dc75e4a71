// Milliseconds (possibly fractional, as measured) to google.protobuf.Duration, and a request's
// Duration to milliseconds. The wkt helper durationFromMs needs whole milliseconds; measured times
// have sub-millisecond precision.
import { create } from "@bufbuild/protobuf";
import { DurationSchema, type Duration } from "@bufbuild/protobuf/wkt";
import { serviceError } from "../errors.ts";

/** google.protobuf.Duration's own range: ±10,000 years. */
const MAX_SECONDS = 315_576_000_000n;

/**
 * A request's Duration in milliseconds, exact (fractional): bounds are checked on what was asked,
 * as durationMs' rounding to whole ms would let 0.9995s pass a 1 s minimum. One outside the type's
 * own rules (seconds within ±10,000 years, nanos within ±999,999,999 and of the seconds' sign) is a
 * VALIDATION_ERROR naming the field, not a value silently bent into shape.
 */
export function requestMs(d: Duration, field: string): number {
  const { seconds: s, nanos: n } = d;
  const valid = s >= -MAX_SECONDS && s <= MAX_SECONDS && n > -1e9 && n < 1e9 && (s === 0n || n === 0 || s > 0n === n > 0);
  if (!valid) throw serviceError("VALIDATION_ERROR", `${field} is not a valid duration (seconds ${s}, nanos ${n})`, { field });
  return Number(s) * 1000 + n / 1e6;
}

/**
 * Whole milliseconds of an exact request value whose bounds were checked: a positive one under
 * half a millisecond is 1, never 0 (which would read as not positive).
 */
export function wholeMs(ms: number): number {
  return ms > 0 ? Math.max(1, Math.round(ms)) : Math.round(ms);
}

export function durationOf(ms: number): Duration {
  const nanos = Math.max(0, Math.round((Number.isFinite(ms) ? ms : 0) * 1e6));
  return create(DurationSchema, { seconds: BigInt(Math.floor(nanos / 1e9)), nanos: nanos % 1e9 });
}
