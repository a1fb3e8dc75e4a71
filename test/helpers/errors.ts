// Reads a failed call: its gRPC code name and the ErrorInfo the server attached.
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";

export interface Failure {
  code: string;
  reason?: string;
  metadata: Record<string, string>;
  err: ConnectError;
}

export async function failure(p: Promise<unknown>): Promise<Failure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConnectError)) throw new Error("expected the call to fail, it succeeded");
  const info = err.findDetails(ErrorInfoSchema)[0];
  return { code: Code[err.code], reason: info?.reason, metadata: info?.metadata ?? {}, err };
}
