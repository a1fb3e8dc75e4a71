// Subscribes, waits until the subscription is live, runs `trigger`, and returns the first event
// of the given type that follows (or fails after timeoutMs).
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor } from "./clients.ts";

export async function firstEventDuring(
  server: { grpc: string; http: string },
  eventType: string,
  headers: Record<string, string>,
  trigger: () => Promise<unknown>,
  timeoutMs = 10_000,
  /** Skips events published meanwhile that are not the trigger's (an earlier test's, coalesced and published late). */
  matches: (e: ServiceEvent) => boolean = () => true,
): Promise<ServiceEvent> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const stream = clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: [eventType] }, { headers, signal: ac.signal });
    for await (const m of stream) {
      if (m.message.case === "started") await trigger();
      else if (m.message.case === "event" && matches(m.message.value)) return m.message.value;
    }
    throw new Error(`no ${eventType} event`);
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
}
