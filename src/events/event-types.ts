// Event type names: the ServiceEvent oneof field names in snake_case ("script_executed", ...),
// derived from the schema so a new event case is picked up by regenerating the code.
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { validationError } from "./errors.ts";

/** The oneof case of a ServiceEvent ("scriptExecuted", ...). */
export type EventCase = Exclude<ServiceEvent["event"]["case"], undefined>;

const oneof = ServiceEventSchema.oneofs.find((o) => o.name === "event");
if (!oneof) throw new Error("ServiceEvent has no `event` oneof");

/** snake_case type name → oneof case. */
const BY_NAME = new Map<string, EventCase>(oneof.fields.map((f) => [f.name, f.localName as EventCase]));
/** oneof case → snake_case type name. */
const BY_CASE = new Map<EventCase, string>(oneof.fields.map((f) => [f.localName as EventCase, f.name]));

/** Every event type name, in field-number order. */
export const EVENT_TYPES: readonly string[] = oneof.fields.map((f) => f.name);

/** The snake_case type name of an event ("" when no case is set). */
export function eventTypeOf(event: ServiceEvent): string {
  return event.event.case === undefined ? "" : (BY_CASE.get(event.event.case) ?? "");
}

export function caseOfType(type: string): EventCase | undefined {
  return BY_NAME.get(type);
}

/**
 * Parses a subscription's event type filter: empty means every type (returns null); an unknown
 * name is a VALIDATION_ERROR on `event_types` naming it. Duplicates are harmless.
 */
export function parseEventTypes(types: readonly string[] | undefined): ReadonlySet<EventCase> | null {
  if (!types || types.length === 0) return null;
  const cases = new Set<EventCase>();
  for (const t of types) {
    const c = BY_NAME.get(t);
    if (c === undefined) {
      throw validationError(
        "event_types",
        `unknown event type ${JSON.stringify(t)}; known types: ${EVENT_TYPES.join(", ")}`,
      );
    }
    cases.add(c);
  }
  return cases;
}
