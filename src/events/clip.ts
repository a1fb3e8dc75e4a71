// Text in the server's own events is bounded: it may quote a caller (a compile error quotes the
// source it failed on, up to max_source_size), and every retained event is kept in memory and
// replayed to every subscriber that asks. Ids are shorter than the bound and never cut.
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";

/** The longest string kept whole in an event the server publishes (a registration's metadata value fits). */
export const MAX_EVENT_TEXT = 1024;

/** `text` cut to `max` characters, never inside a surrogate pair, ending with a marker saying how much was cut. */
export function clipEventText(text: string, max = MAX_EVENT_TEXT): string {
  if (text.length <= max) return text;
  let end = max;
  if (/[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  // A copy, not a slice: V8's slice of a long string keeps the whole original alive.
  const head = Buffer.from(text.slice(0, end), "utf16le").toString("utf16le");
  return `${head}… [${text.length - end} more characters cut]`;
}

/**
 * The event with every string longer than MAX_EVENT_TEXT clipped (messages, lists and maps
 * walked). The event itself is not modified: what changes is copied, the rest shared; an event
 * with nothing to clip is returned as it is.
 */
export function clipEventStrings(event: ServiceEvent): ServiceEvent {
  return clipped(event) as ServiceEvent;
}

function clipped(value: unknown): unknown {
  if (typeof value === "string") return clipEventText(value);
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const c = clipped(v);
      if (c !== v) (out ??= value.slice())[i] = c;
    });
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const c = clipped(v);
    if (c !== v) (out ??= { ...value })[k] = c;
  }
  return out ?? value;
}
