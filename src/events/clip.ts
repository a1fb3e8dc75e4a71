// Text in the server's own events is bounded: it may quote a caller (a compile error quotes the
// source it failed on, up to max_source_size), and every retained event is kept in memory and
// replayed to every subscriber that asks. Ids are shorter than the bound and never cut. A lone
// surrogate (a script's text may hold one) is U+FFFD, as binary protobuf writes it: a proto3 JSON
// subscriber's client refuses the event, and every resume would stop at it.
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clipCodePoints } from "../code-points.ts";

/** The longest string kept whole in an event the server publishes (a registration's metadata value fits). */
export const MAX_EVENT_TEXT = 1024;

/** `text` cut to `max` characters (code points, as the contract counts them), saying how many were cut; well-formed. */
export const clipEventText = (text: string, max = MAX_EVENT_TEXT): string => clipCodePoints(text, max);

/**
 * The event with every string longer than MAX_EVENT_TEXT clipped and every string (map keys too)
 * well-formed (messages, lists and maps walked). The event itself is not modified: what changes is
 * copied, the rest shared; an event with nothing to change is returned as it is.
 */
export function clipEventStrings(event: ServiceEvent): ServiceEvent {
  return clipped(event, MAX_EVENT_TEXT) as ServiceEvent;
}

/** The event with every string (map keys too) well-formed, none cut: what Emit takes from a JSON caller. */
export function wellFormedEvent(event: ServiceEvent): ServiceEvent {
  return clipped(event, Infinity) as ServiceEvent;
}

function clipped(value: unknown, max: number): unknown {
  if (typeof value === "string") return clipEventText(value, max);
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((v, i) => {
      const c = clipped(v, max);
      if (c !== v) (out ??= value.slice())[i] = c;
    });
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const c = clipped(v, max);
    const key = k.toWellFormed();
    if (key !== k) {
      out ??= { ...value };
      delete out[k];
    }
    // Defined, not assigned: a map's key "__proto__" is data, not the copy's prototype.
    if (c !== v || key !== k) Object.defineProperty((out ??= { ...value }), key, { value: c, writable: true, enumerable: true, configurable: true });
  }
  return out ?? value;
}
