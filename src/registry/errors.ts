// The registry core's typed error. `reason` is an ErrorReason name from errors.proto (without the
// ERROR_REASON_ prefix); the server's error mapping turns it into the gRPC/Connect code, and
// `field` / `metadata` into the ErrorInfo metadata and BadRequest field violation.

export type RegistryErrorReason =
  | "VALIDATION_ERROR"
  | "LEASE_NOT_FOUND"
  | "SERVICE_NOT_FOUND"
  | "EVENTS_LOST"
  | "RESOURCE_EXCEEDED"
  | "ENGINE_STOPPED";

export class RegistryError extends Error {
  readonly reason: RegistryErrorReason;
  /** The offending request field (snake_case path), for VALIDATION_ERROR. */
  readonly field?: string;
  readonly metadata?: Record<string, string | number>;

  constructor(
    reason: RegistryErrorReason,
    message: string,
    options: { field?: string; metadata?: Record<string, string | number> } = {},
  ) {
    super(message);
    this.name = "RegistryError";
    this.reason = reason;
    if (options.field !== undefined) this.field = options.field;
    if (options.metadata !== undefined) this.metadata = options.metadata;
  }
}

export const invalid = (field: string, message: string): RegistryError =>
  new RegistryError("VALIDATION_ERROR", message, { field });
