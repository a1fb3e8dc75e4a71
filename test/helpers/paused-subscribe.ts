// A gRPC Subscribe over raw HTTP/2 (h2c) that reads its first message (started) and then stops
// reading, so what the server writes backs up into its buffers; readTo() reads on.
import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { SubscribeRequestSchema, SubscribeResponseSchema, type SubscribeResponse } from "../../gen/ts/scriptengine/v1/event_service_pb.js";

export interface PausedSubscription {
  /** The messages decoded so far, in order: only the first until readTo(). */
  readonly got: SubscribeResponse[];
  /**
   * Reads on until the event `sequence` arrived or was reported lost (for 10 s at the most), then
   * destroys the connection; whether it got that far.
   */
  readTo(sequence: bigint): Promise<boolean>;
  /** Destroys the connection. */
  close(): void;
}

export async function pausedSubscribe(address: string, eventTypes: string[], headers: Record<string, string>): Promise<PausedSubscription> {
  const session = http2.connect(`http://${address}`);
  // Destroying the session mid-stream may reset the stream; what a test checks is what it read.
  session.on("error", () => {});
  const req = session.request({ ":method": "POST", ":path": "/scriptengine.v1.EventService/Subscribe", "content-type": "application/grpc", te: "trailers", ...headers });
  req.on("error", () => {});
  const body = toBinary(SubscribeRequestSchema, create(SubscribeRequestSchema, { eventTypes }));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  req.end(frame);
  const got: SubscribeResponse[] = [];
  let buf = Buffer.alloc(0);
  let started = false;
  await new Promise<void>((resolve, reject) => {
    req.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
        const n = buf.readUInt32BE(1);
        got.push(fromBinary(SubscribeResponseSchema, buf.subarray(5, 5 + n)));
        buf = buf.subarray(5 + n);
      }
      if (!started && got.length > 0) {
        started = true;
        req.pause();
        resolve();
      }
    });
    req.once("close", () => reject(new Error("the subscription ended before its first message")));
  });
  const reached = (sequence: bigint) =>
    got.some((m) => (m.message.case === "event" ? m.message.value.sequence : m.message.case === "lost" ? m.message.value.lastMissedSequence : 0n) >= sequence);
  return {
    got,
    readTo: async (sequence) => {
      req.resume();
      for (let waited = 0; !reached(sequence) && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      session.destroy();
      return reached(sequence);
    },
    close: () => session.destroy(),
  };
}
