// Whether an event can be written as proto3 JSON, which binary protobuf does not require: a
// google.protobuf.Value may hold NaN or Infinity, a Timestamp or Duration any seconds and nanos.
import { create, toJson, type DescMessage } from "@bufbuild/protobuf";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";

/** Why `event` cannot be written as JSON, or null when it can. */
export function jsonProblem(event: ServiceEvent): string | null {
  try {
    toJson(ServiceEventSchema, event);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The snake_case name of the field of the event's case that JSON cannot carry, found by writing
 * each field alone (only on the refusal path); undefined when none alone is to blame.
 */
export function unencodableFieldOf(event: ServiceEvent): string | undefined {
  const c = event.event.case;
  const desc: DescMessage | undefined = ServiceEventSchema.fields.find((f) => f.localName === c)?.message;
  if (!desc) return undefined;
  const value = event.event.value as unknown as Record<string, unknown>;
  for (const member of desc.members) {
    const alone = create(desc, { [member.localName]: value[member.localName] });
    try {
      toJson(desc, alone);
    } catch {
      return member.name;
    }
  }
  return undefined;
}

const verdicts = new WeakMap<ServiceEvent, boolean>();

/**
 * jsonProblem() === null, remembered per stored event: the stored copy is shared by every
 * subscriber, so it is tried once however many JSON streams carry it.
 */
export function jsonEncodable(event: ServiceEvent): boolean {
  let ok = verdicts.get(event);
  if (ok === undefined) {
    ok = jsonProblem(event) === null;
    verdicts.set(event, ok);
  }
  return ok;
}
