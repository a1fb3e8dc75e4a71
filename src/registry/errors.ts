// The registry core's typed error (see reason-error.ts).
import { ReasonError } from "../reason-error.ts";

export type RegistryErrorReason =
  | "VALIDATION_ERROR"
  | "LEASE_NOT_FOUND"
  | "SERVICE_NOT_FOUND"
  | "EVENTS_LOST"
  | "RESOURCE_EXCEEDED"
  | "ENGINE_STOPPED";

export class RegistryError extends ReasonError<RegistryErrorReason> {}

export const invalid = (field: string, message: string): RegistryError =>
  new RegistryError("VALIDATION_ERROR", message, { field });
