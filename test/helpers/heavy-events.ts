// Events small on the wire and large once decoded: a 15,000-boolean list in a ServiceRegistered's
// metadata is ~60 KB sent and well over a megabyte held by the server.
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor } from "./clients.ts";

/** Emits `count` such events, one after another, as the caller `headers` name; their sequences. */
export async function emitHeavy(server: { grpc: string; http: string }, headers: Record<string, string>, count: number): Promise<bigint[]> {
  const booleans = create(ValueSchema, {
    kind: { case: "listValue", value: { values: Array.from({ length: 15_000 }, () => create(ValueSchema, { kind: { case: "boolValue", value: true } })) } },
  });
  const events = clientFor(EventService, "grpc-js", server);
  const sequences: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const r = await events.emit({ event: { event: { case: "serviceRegistered", value: { serviceId: `svc-${i}`, serviceType: "t", metadata: { b: booleans } } } } }, { headers });
    sequences.push(r.sequence);
  }
  return sequences;
}
