// Events only the engine can know, which Emit accepts from principals holding admin alone: the
// source field tells an emitted event apart, but a SecurityViolation is delivered to the principal
// it names as the engine's word (that principal reads no one else's), and events about the
// engine's own service would speak for it, as would events about a service another principal
// holds registered here (its owner's and the registry's to announce). Everything else (the health
// or registration of a service the caller registered, or of one not registered here, script and
// migration events) an events:emit caller may publish under its name.
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { eventTypeOf } from "./event-types.ts";

/**
 * Why a non-admin may not emit this event (a short phrase), or undefined when it may.
 * `notOwner`: why the caller may not speak for a service id the registry holds, or undefined.
 */
export function engineOnly(event: ServiceEvent, engineServiceId: string, notOwner?: (serviceId: string) => string | undefined): string | undefined {
  const e = event.event;
  switch (e.case) {
    case "securityViolation":
      return "security_violation events are the engine's";
    case "healthStatusChanged":
    case "serviceRegistered":
    case "serviceUnregistered": {
      const id = e.value.serviceId;
      if (id === engineServiceId) return `${eventTypeOf(event)} events about the engine's own service (${engineServiceId}) are the engine's`;
      const why = notOwner?.(id);
      return why === undefined ? undefined : `${eventTypeOf(event)} events about service ${JSON.stringify(id)} are its owner's: ${why}`;
    }
    default:
      return undefined;
  }
}
