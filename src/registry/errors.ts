// The registry core's typed error (see reason-error.ts).
import { ReasonError } from "../reason-error.ts";

export type RegistryErrorReason =
  | "VALIDATION_ERROR"
  | "LEASE_NOT_FOUND"
  | "SERVICE_NOT_FOUND"
  | "EVENTS_LOST"
  | "RESOURCE_EXCEEDED"
  | "SECURITY_VIOLATION"
  | "ENGINE_STOPPED";

export class RegistryError extends ReasonError<RegistryErrorReason> {
  /** RESOURCE_EXCEEDED: the quota and its limit (the server's mapping puts them in ErrorInfo). */
  resource?: string;
  limit?: number;
}

/** RESOURCE_EXCEEDED for the quota `resource`. */
export function exceeded(message: string, resource: string, limit: number, metadata: Record<string, string> = {}): RegistryError {
  const err = new RegistryError("RESOURCE_EXCEEDED", message, { metadata: { ...metadata, resource, limit } });
  err.resource = resource;
  err.limit = limit;
  return err;
}

export const invalid = (field: string, message: string): RegistryError =>
  new RegistryError("VALIDATION_ERROR", message, { field });
