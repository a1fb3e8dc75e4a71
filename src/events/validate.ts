// Validation of events published from outside the process (EventService.Emit). Events the
// engine itself publishes are trusted and skip this.
import { toBinary } from "@bufbuild/protobuf";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { validationError } from "./errors.ts";
import { eventTypeOf, type EventCase } from "./event-types.ts";

export interface EmitLimits {
  /** Largest serialized event accepted (bytes). */
  maxEventBytes: number;
  /** Longest id-like string (script_id, service_id, event_id, source, ...). */
  maxIdLength: number;
}

export const DEFAULT_EMIT_LIMITS: EmitLimits = { maxEventBytes: 64 * 1024, maxIdLength: 256 };

/** Fields (snake_case) that must be non-empty, per event case. */
const REQUIRED: Record<EventCase, readonly string[]> = {
  scriptCompiled: ["script_id"],
  scriptExecuted: ["script_id", "execution_id"],
  healthStatusChanged: ["service_id"],
  migrationStarted: ["tool_name", "migration_id"],
  migrationCompleted: ["tool_name", "migration_id"],
  serviceRegistered: ["service_id", "service_type"],
  serviceUnregistered: ["service_id"],
  securityViolation: ["kind"],
};

const camel = (snake: string): string => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Checks an event handed to Emit: exactly one event case set, its required ids non-empty and
 * bounded, event_id/source bounded, a sane timestamp if given, and the whole event under the
 * size cap (returning its encoded size). Throws a VALIDATION_ERROR naming the field (paths relative to EmitRequest).
 * The sequence is not checked: the bus always assigns it.
 */
export function validateEmittedEvent(event: ServiceEvent | undefined, limits: EmitLimits = DEFAULT_EMIT_LIMITS): number {
  if (!event) throw validationError("event", "event is required");
  const c = event.event.case;
  if (c === undefined) throw validationError("event", "exactly one event type must be set");
  const type = eventTypeOf(event);
  const value = event.event.value as unknown as Record<string, unknown>;
  for (const field of REQUIRED[c]) {
    const v = value[camel(field)];
    const path = `event.${type}.${field}`;
    if (typeof v !== "string" || v.length === 0) throw validationError(path, `${path} is required`);
    if (v.length > limits.maxIdLength) {
      throw validationError(path, `${path} is longer than ${limits.maxIdLength} characters`);
    }
  }
  if (event.eventId.length > limits.maxIdLength) {
    throw validationError("event.event_id", `event.event_id is longer than ${limits.maxIdLength} characters`);
  }
  if (event.source.length > limits.maxIdLength) {
    throw validationError("event.source", `event.source is longer than ${limits.maxIdLength} characters`);
  }
  const ts = event.timestamp;
  if (ts) {
    // RFC 3339 range, as google.protobuf.Timestamp specifies.
    if (ts.seconds < -62135596800n || ts.seconds > 253402300799n || ts.nanos < 0 || ts.nanos > 999_999_999) {
      throw validationError("event.timestamp", "event.timestamp is out of range");
    }
  }
  const size = toBinary(ServiceEventSchema, event).length;
  if (size > limits.maxEventBytes) {
    throw validationError("event", `event is ${size} bytes, over the ${limits.maxEventBytes}-byte limit`);
  }
  return size;
}
