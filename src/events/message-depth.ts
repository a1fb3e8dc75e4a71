// How deeply an event's messages nest, as a protobuf decoder counts them. Python's (upb) and
// Java's refuse a message nested past 100 levels below the top one, and a map entry is a message
// of its own there: each level of a google.protobuf.Struct costs three (Value, Struct, entry).
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";

/** The deepest nesting a subscriber's decoder takes, counting the top message as 1 (upb: 100 below it). */
export const MAX_MESSAGE_DEPTH = 101;

/**
 * The nesting of `message`, counting itself as 1, each sub-message and each map entry as one more:
 * stops looking at `limit + 1` (so that a hostile event's recursion here is bounded by the limit).
 */
export function messageDepth<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, limit: number): number {
  return depthOf(reflect(schema, message), limit);
}

function depthOf(m: ReflectMessage, limit: number): number {
  if (limit <= 0) return 1; // already past the limit: the caller's count says so
  let below = 0;
  for (const f of m.fields) {
    if (below >= limit || !m.isSet(f)) continue;
    if (f.fieldKind === "message") below = Math.max(below, depthOf(m.get(f), limit - 1));
    else if (f.fieldKind === "list" && f.listKind === "message") {
      for (const item of m.get(f)) below = Math.max(below, depthOf(item as ReflectMessage, limit - 1));
    } else if (f.fieldKind === "map") {
      below = Math.max(below, 1); // the entry
      if (f.mapKind === "message") for (const v of m.get(f).values()) below = Math.max(below, 1 + depthOf(v as ReflectMessage, limit - 2));
    }
  }
  return 1 + below;
}
