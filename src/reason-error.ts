// The typed error of a core part (events, registry): `reason` is an ErrorReason name from
// errors.proto (without the ERROR_REASON_ prefix). The server's error mapping (errors.ts,
// toServiceError) turns it into the gRPC/Connect code, and `field` / `metadata` into the ErrorInfo
// metadata and BadRequest field violation. The cores stay free of any RPC library.

export interface ReasonErrorOptions {
  /** The offending request field (snake_case path), for VALIDATION_ERROR. */
  field?: string;
  metadata?: Record<string, string | number>;
}

export class ReasonError<R extends string> extends Error {
  readonly reason: R;
  readonly field?: string;
  readonly metadata?: Record<string, string | number>;

  constructor(reason: R, message: string, options: ReasonErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
    if (options.field !== undefined) this.field = options.field;
    if (options.metadata !== undefined) this.metadata = options.metadata;
  }
}
