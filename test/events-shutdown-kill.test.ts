// A server killed while its shutdown waits (here on a reader that stopped reading) has already
// recorded where its numbering ended: a subscriber told resume_after_sequence is not then told,
// after a restart, that it lost the rest of the reservation block.
import { expect, it } from "vitest";
import * as http2 from "node:http2";
import { once } from "node:events";
import { ConnectError } from "@connectrpc/connect";
import { EventService } from "../gen/ts/scriptengine/v1/event_service_pb.js";
import { ErrorInfoSchema } from "../gen/ts/google/rpc/error_details_pb.js";
import { startServer } from "./helpers/server.ts";
import { clientFor } from "./helpers/clients.ts";
import { until } from "./helpers/until.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("a kill during the shutdown's tail keeps 'nothing missed' for a subscriber resuming where its stream said", async () => {
  const a = await startServer();
  // A reader that stops reading: the doors wait for it (up to the grace and more) after the bus has closed.
  const session = http2.connect(`http://${a.grpc}`);
  session.on("error", () => {});
  const stalled = session.request({ ":method": "POST", ":path": "/scriptengine.v1.EventService/Subscribe", "content-type": "application/grpc", te: "trailers" });
  stalled.on("error", () => {});
  stalled.end(Buffer.from([0, 0, 0, 0, 0]));
  await once(stalled, "response"); // the server took the subscription (its headers came)
  stalled.pause();
  const ev = clientFor(EventService, "grpc-js", a);
  for (let i = 0; i < 8; i++) await Promise.all(Array.from({ length: 50 }, () => ev.emit({ event: { event: { case: "securityViolation", value: { kind: "k", detail: "d".repeat(4000) } } } })));

  let resumeAfter: bigint | undefined;
  let subscribed = false;
  let delivered = false;
  const reading = (async () => {
    try {
      for await (const m of clientFor(EventService, "grpc-js", a).subscribe({ eventTypes: ["script_executed"] })) {
        if (m.message.case === "started") subscribed = true;
        if (m.message.case === "event") delivered = true;
      }
    } catch (err) {
      resumeAfter = BigInt(ConnectError.from(err).findDetails(ErrorInfoSchema)[0]?.metadata.resume_after_sequence ?? "-1");
    }
  })();
  // Subscribed before the event, and the event delivered before the SIGTERM (not fixed sleeps).
  await until("the subscription started", () => subscribed);
  await ev.emit({ event: { event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } } } });
  await until("the subscriber has the event", () => delivered);
  a.proc.kill("SIGTERM");
  await reading;
  expect(resumeAfter).toBeGreaterThan(400n);
  await sleep(1000); // the shutdown still waits on the stalled reader
  await a.stop("SIGKILL");
  session.destroy();

  const b = await startServer({ dataDir: a.dataDir });
  try {
    const [, notice] = await (async () => {
      const out = [];
      for await (const m of clientFor(EventService, "grpc-js", b).subscribe({ eventTypes: ["script_executed"], afterSequence: resumeAfter })) {
        out.push(m);
        if (out.length === 2) break;
      }
      return out;
    })();
    expect(notice?.message.case).toBe("lost");
    expect((notice?.message.value as { missedCount: bigint }).missedCount).toBe(0n);
  } finally {
    await b.stop();
  }
}, 60_000);
