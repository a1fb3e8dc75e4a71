// A request message that does not decode, kept for the handler rather than answered at once: the
// caller is authenticated first (one without credentials learns nothing of its body), then told
// INVALID_ARGUMENT naming the message type (grpc-js itself would say INTERNAL).
import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { serviceError } from "../errors.ts";

/** The error of a request message that does not decode, on either door. */
export function malformedRequestError(method: DescMethod, why: string, cause?: unknown): ConnectError {
  return serviceError("VALIDATION_ERROR", `the request is not a valid ${method.input.typeName}: ${why}`, { field: "request", cause });
}

export class MalformedRequest {
  readonly error: ConnectError;
  /** `error`: what to answer, when it is not "not a valid <type>" (a message in an encoding the door lacks). */
  constructor(method: DescMethod, cause: unknown, error?: ConnectError) {
    this.error = error ?? malformedRequestError(method, cause instanceof Error ? cause.message : String(cause), cause);
  }
}

/** Throws the request's decoding error, if it is a MalformedRequest. */
export function throwIfMalformed(request: unknown): void {
  if (request instanceof MalformedRequest) throw request.error;
}
