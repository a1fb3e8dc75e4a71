// The grpc-timeout header (gRPC over HTTP/2): 1 to 8 ASCII digits and a unit, the whole value.
// connect-node (HTTP port) holds a value to that, but grpc-js (gRPC port) takes the first digits
// and unit found anywhere in it ("-1S" as 1 s, "1.5S" as 5 s, "100000000H" as 0 H, so at once),
// and drops a value that is not printable ASCII (no deadline). Both doors check it here and refuse
// a value outside the grammar with the same error.
import type { ConnectError } from "@connectrpc/connect";
import { serviceError } from "../errors.ts";

const GRAMMAR = /^(\d{1,8})([HMSmun])$/;
/** Milliseconds per grpc-timeout unit. */
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** A grpc-timeout's milliseconds; undefined when the value is outside the grammar. */
export function grpcTimeoutMs(value: string): number | undefined {
  const m = GRAMMAR.exec(value);
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

/** How much of a refused value its refusal shows. */
export const SHOWN_CHARS = 64;

/** The refusal of a grpc-timeout outside the grammar, the same on both doors. */
export function badGrpcTimeout(value: string): ConnectError {
  const shown = value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}...` : value;
  return serviceError("VALIDATION_ERROR", `grpc-timeout ${JSON.stringify(shown)} is not 1 to 8 digits and a unit (H, M, S, m, u or n)`, { field: "grpc-timeout" });
}
