// A request message that does not decode, kept for the handler rather than answered at once: the
// caller is authenticated first (one without credentials learns nothing of its body), then told
// INVALID_ARGUMENT naming the message type (grpc-js itself would say INTERNAL).
import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { serviceError } from "../errors.ts";

export class MalformedRequest {
  readonly error: ConnectError;
  constructor(method: DescMethod, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    this.error = serviceError("VALIDATION_ERROR", `the request is not a valid ${method.input.typeName}: ${why}`.slice(0, 500), {
      field: "request",
      cause,
    });
  }
}

/** Throws the request's decoding error, if it is a MalformedRequest. */
export function throwIfMalformed(request: unknown): void {
  if (request instanceof MalformedRequest) throw request.error;
}
