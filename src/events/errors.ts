// The events core's typed error (see reason-error.ts).
import { ReasonError } from "../reason-error.ts";

export type EventsErrorReason =
  | "VALIDATION_ERROR"
  | "SUBSCRIPTION_NOT_FOUND"
  | "EVENTS_LOST"
  | "RESOURCE_EXCEEDED"
  | "ENGINE_STOPPED";

export class EventsError extends ReasonError<EventsErrorReason> {}

export const validationError = (field: string, message: string): EventsError =>
  new EventsError("VALIDATION_ERROR", message, { field });
