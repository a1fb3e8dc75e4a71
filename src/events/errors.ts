// The events core's typed error. `reason` is an ErrorReason name from errors.proto (without the
// ERROR_REASON_ prefix); the server's error mapping turns it into the gRPC/Connect code, and
// `field` / `metadata` into the ErrorInfo metadata and BadRequest field violation.

export type EventsErrorReason =
  | "VALIDATION_ERROR"
  | "SUBSCRIPTION_NOT_FOUND"
  | "EVENTS_LOST"
  | "RESOURCE_EXCEEDED"
  | "ENGINE_STOPPED";

export class EventsError extends Error {
  readonly reason: EventsErrorReason;
  /** The offending request field (snake_case path), for VALIDATION_ERROR. */
  readonly field?: string;
  readonly metadata?: Record<string, string | number>;

  constructor(
    reason: EventsErrorReason,
    message: string,
    options: { field?: string; metadata?: Record<string, string | number> } = {},
  ) {
    super(message);
    this.name = "EventsError";
    this.reason = reason;
    if (options.field !== undefined) this.field = options.field;
    if (options.metadata !== undefined) this.metadata = options.metadata;
  }
}

export const validationError = (field: string, message: string): EventsError =>
  new EventsError("VALIDATION_ERROR", message, { field });
