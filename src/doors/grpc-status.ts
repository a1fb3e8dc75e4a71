// The grpc-js door's error encoding: a ConnectError becomes a gRPC status whose
// grpc-status-details-bin trailer is a google.rpc.Status holding the same details
// (ErrorInfo, RetryInfo, BadRequest) that connect-node sends on the HTTP port.
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import { ConnectError } from "@connectrpc/connect";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { toServiceError } from "../errors.ts";

export function grpcStatusOf(err: unknown): Partial<StatusObject> {
  const e: ConnectError = toServiceError(err);
  const details = e.details.map((d) =>
    "desc" in d
      ? anyPack(d.desc, create(d.desc, d.value))
      : create(AnySchema, { typeUrl: `type.googleapis.com/${d.type}`, value: d.value }),
  );
  const metadata = new Metadata();
  const status = create(StatusSchema, { code: e.code, message: e.rawMessage, details });
  metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
  return { code: e.code as number as grpc.status, details: e.rawMessage, metadata };
}
