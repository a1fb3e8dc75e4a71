// Events only the engine can know, which Emit accepts from principals holding admin alone: the
// source field tells an emitted event apart, but a SecurityViolation is delivered to the principal
// it names as the engine's word (that principal reads no one else's), and events about the
// engine's own service would speak for it. Everything else (a service's own health or
// registration, script and migration events) an events:emit caller may publish under its name.
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { eventTypeOf } from "./event-types.ts";

/** Why a non-admin may not emit this event (a short phrase), or undefined when it may. */
export function engineOnly(event: ServiceEvent, engineServiceId: string): string | undefined {
  const e = event.event;
  switch (e.case) {
    case "securityViolation":
      return "security_violation events are the engine's";
    case "healthStatusChanged":
    case "serviceRegistered":
    case "serviceUnregistered":
      return e.value.serviceId === engineServiceId ? `${eventTypeOf(event)} events about the engine's own service (${engineServiceId}) are the engine's` : undefined;
    default:
      return undefined;
  }
}
