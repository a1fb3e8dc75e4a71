// Validation of events published from outside the process (EventService.Emit). Events the
// engine itself publishes are trusted and skip this.
import { toBinary, type DescEnum } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { validationError } from "./errors.ts";
import { eventTypeOf, type EventCase } from "./event-types.ts";
import { jsonProblem, unencodableFieldOf } from "./json-encodable.ts";
import { MAX_MESSAGE_DEPTH, messageDepth } from "./message-depth.ts";
import { tokenProblem } from "../registry/validate.ts";

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
 * Checks an event handed to Emit: exactly one event case set, its required ids and event_id
 * bounded tokens (non-empty for the required ones; no whitespace, control or format characters, as
 * the registry's ids), source bounded, a sane timestamp if given, the whole event under the size
 * cap, nested no deeper than every decoder takes, and writable as proto3 JSON (every subscriber must be able to receive it, whatever its
 * protocol). Returns what it counts against the log's byte budget: its size in memory, roughly. Throws a VALIDATION_ERROR naming the field (paths relative to EmitRequest).
 * The sequence is not checked: the bus always assigns it. Fills in a HealthStatusChanged's missing
 * timestamp, and so the envelope's when that is missing too, in place.
 */
export function validateEmittedEvent(event: ServiceEvent | undefined, limits: EmitLimits = DEFAULT_EMIT_LIMITS): number {
  if (!event) throw validationError("event", "event is required");
  const c = event.event.case;
  if (c === undefined) throw validationError("event", "exactly one event type must be set");
  const type = eventTypeOf(event);
  const value = event.event.value as unknown as Record<string, unknown>;
  // Ids are shown in listings, logs and terminals (the CLI's events tail): the registry's rule for
  // a service_id holds, so no control character (NUL, an escape sequence) or invisible one passes.
  for (const field of REQUIRED[c]) {
    const v = value[camel(field)];
    const path = `event.${type}.${field}`;
    const problem = tokenProblem(typeof v === "string" ? v : "", limits.maxIdLength, true);
    if (problem) throw validationError(path, `${path} ${problem}`);
  }
  // A health change to no status tells a subscriber nothing.
  if (event.event.case === "healthStatusChanged" && event.event.value.status === ServiceStatus.UNSPECIFIED) {
    const path = "event.health_status_changed.status";
    throw validationError(path, `${path} is required (SERVICE_STATUS_UNSPECIFIED is not a status)`);
  }
  const idProblem = tokenProblem(event.eventId, limits.maxIdLength, false);
  if (idProblem) throw validationError("event.event_id", `event.event_id ${idProblem}`);
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
  // A health change says when it happened, as the engine's own do; one emitted without saying so
  // happened when it was emitted: it takes the envelope's time (the server's when that is empty too).
  if (event.event.case === "healthStatusChanged" && event.event.value.timestamp === undefined) {
    event.timestamp ??= timestampNow();
    event.event.value.timestamp = { ...event.timestamp };
  }
  // One level of a Struct costs three messages: a migrationCompleted's metadata nested 32 objects
  // deep decodes in Go and TypeScript but not in Python, whose subscribers would each fail on it,
  // again at each resume, for as long as the log keeps it.
  const depth = 1 + messageDepth(ServiceEventSchema, event, MAX_MESSAGE_DEPTH); // in its SubscribeResponse
  if (depth > MAX_MESSAGE_DEPTH) {
    const deep = depth > MAX_MESSAGE_DEPTH + 1 ? `more than ${MAX_MESSAGE_DEPTH + 1}` : String(depth);
    throw validationError("event", `event nests ${deep} messages deep in its SubscribeResponse, past the ${MAX_MESSAGE_DEPTH} that Python's and Java's protobuf decoders take, so not every subscriber could receive it (a level of a Struct counts three, of a list two)`);
  }
  const size = toBinary(ServiceEventSchema, event).length;
  if (size > limits.maxEventBytes) {
    throw validationError("event", `event is ${size} bytes, over the ${limits.maxEventBytes}-byte limit`);
  }
  // Binary protobuf carries NaN and Infinity in a Value and any Timestamp or Duration; a JSON
  // subscriber's stream could not carry the event at all (cheap: the event is at most 64 KiB).
  const problem = jsonProblem(event);
  if (problem !== null) {
    const field = unencodableFieldOf(event);
    const path = field === undefined ? "event" : `event.${type}.${field}`;
    throw validationError(path, `${path} cannot be written as proto3 JSON, so not every subscriber could receive it: ${problem}`);
  }
  // Binary and JSON both carry an enum number outside its enum (JSON as a bare number) and a
  // negative Duration, but neither means anything to a subscriber.
  const meaningless = meaninglessField(reflect(ServiceEventSchema, event), "event");
  if (meaningless) throw validationError(meaningless.path, `${meaningless.path} ${meaningless.problem}`);
  return Math.max(size, heapBytesOf(event));
}

/** A number `e` does not declare, as the field at `path` holding it. */
function undeclared(e: DescEnum, v: number, path: string): { path: string; problem: string } | undefined {
  return e.value[v] === undefined ? { path, problem: `${v} is not a ${e.name} value` } : undefined;
}

/**
 * The first field of `m` (at `path`, snake_case) set to a number its enum does not declare, or to
 * a negative google.protobuf.Duration; undefined when none is. Recursion is bounded by the depth
 * check that runs first.
 */
function meaninglessField(m: ReflectMessage, path: string): { path: string; problem: string } | undefined {
  if (m.desc.typeName === "google.protobuf.Duration") {
    const d = m.message as unknown as { seconds: bigint; nanos: number };
    return d.seconds < 0n || d.nanos < 0 ? { path, problem: "must not be negative" } : undefined;
  }
  for (const f of m.fields) {
    if (!m.isSet(f)) continue;
    const at = `${path}.${f.name}`;
    if (f.fieldKind === "enum") {
      const found = undeclared(f.enum, m.get(f) as number, at);
      if (found) return found;
    } else if (f.fieldKind === "message") {
      const found = meaninglessField(m.get(f), at);
      if (found) return found;
    } else if (f.fieldKind === "list") {
      let i = 0;
      for (const item of m.get(f)) {
        const found =
          f.listKind === "enum" ? undeclared(f.enum, item as number, `${at}[${i}]`)
            : f.listKind === "message" ? meaninglessField(item as ReflectMessage, `${at}[${i}]`) : undefined;
        if (found) return found;
        i++;
      }
    } else if (f.fieldKind === "map" && f.mapKind !== "scalar") {
      for (const [k, v] of m.get(f)) {
        const entry = `${at}[${JSON.stringify(String(k))}]`;
        const found = f.mapKind === "enum" ? undeclared(f.enum, v as number, entry) : meaninglessField(v as ReflectMessage, entry);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** V8's cost of one small object (header, a few in-object fields) and of one more slot in it. */
const OBJECT_BYTES = 56;
const SLOT_BYTES = 8;

/**
 * What a decoded event holds in memory, roughly: what the log's byte budget is charged. Its
 * encoded size alone would undercount many small values thirty-fold (a 64 KiB list of booleans
 * decodes to ~2 MB of Value objects), and events.log_bytes would not bound the heap.
 */
export function heapBytesOf(value: unknown): number {
  if (typeof value === "string") return SLOT_BYTES + value.length;
  if (value instanceof Uint8Array) return OBJECT_BYTES + value.byteLength;
  if (typeof value !== "object" || value === null) return SLOT_BYTES;
  let bytes = OBJECT_BYTES;
  if (Array.isArray(value)) for (const v of value) bytes += SLOT_BYTES + heapBytesOf(v);
  // A message's type name is one shared string, not a copy per message.
  else for (const [k, v] of Object.entries(value)) bytes += SLOT_BYTES + (k === "$typeName" ? 0 : heapBytesOf(v));
  return bytes;
}
