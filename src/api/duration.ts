// Milliseconds (possibly fractional, as measured) to google.protobuf.Duration. The wkt helper
// durationFromMs needs whole milliseconds; measured times have sub-millisecond precision.
import { create } from "@bufbuild/protobuf";
import { DurationSchema, type Duration } from "@bufbuild/protobuf/wkt";

export function durationOf(ms: number): Duration {
  const nanos = Math.max(0, Math.round((Number.isFinite(ms) ? ms : 0) * 1e6));
  return create(DurationSchema, { seconds: BigInt(Math.floor(nanos / 1e9)), nanos: nanos % 1e9 });
}
