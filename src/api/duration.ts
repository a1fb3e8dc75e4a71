// Milliseconds (possibly fractional, as measured) to google.protobuf.Duration. The wkt helper
// durationFromMs needs whole milliseconds; measured times have sub-millisecond precision.
import { create } from "@bufbuild/protobuf";
import { DurationSchema, durationMs, type Duration } from "@bufbuild/protobuf/wkt";
import { serviceError } from "../errors.ts";

/** google.protobuf.Duration's own range: ±10,000 years. */
const MAX_SECONDS = 315_576_000_000n;

/**
 * A request's Duration in milliseconds. One outside the type's own rules (seconds within ±10,000
 * years, nanos within ±999,999,999 and of the seconds' sign) is a VALIDATION_ERROR naming the field,
 * not a value silently bent into shape.
 */
export function requestMs(d: Duration, field: string): number {
  const { seconds: s, nanos: n } = d;
  const valid = s >= -MAX_SECONDS && s <= MAX_SECONDS && n > -1e9 && n < 1e9 && (s === 0n || n === 0 || s > 0n === n > 0);
  if (!valid) throw serviceError("VALIDATION_ERROR", `${field} is not a valid duration (seconds ${s}, nanos ${n})`, { field });
  return durationMs(d);
}

export function durationOf(ms: number): Duration {
  const nanos = Math.max(0, Math.round((Number.isFinite(ms) ? ms : 0) * 1e6));
  return create(DurationSchema, { seconds: BigInt(Math.floor(nanos / 1e9)), nanos: nanos % 1e9 });
}
