// events.subscribers_bytes through the server: one principal's paused streams, each behind by
// fewer bytes than another principal's one subscriber, must lag themselves, not make that
// subscriber (far inside its own buffer limits, and under half the pool) lose its events.
import * as http2 from "node:http2";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEventSchema } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const big = (n: number) => "x".repeat(n);
type EventInit = MessageInitShape<typeof ServiceEventSchema>["event"];

// ~50 KB events: the victim's 40 hold ~2 MB, under half of the 4 MiB pool; the log keeps 4.
const server = serverForTests({
  toml:
    `[events]\nlog_size = 4\nsubscriber_buffer = 1000\nsubscriber_buffer_bytes = 16777216\nsubscribers_bytes = 4194304\n\n` +
    principalsToml({ name: "victim" }, { name: "att", permissions: ["events:emit"] }),
});

/** A Connect JSON Subscribe over HTTP/2 that stops reading after its first message. */
function pausedStream(principal: string, types: string[]) {
  const session = http2.connect(`http://${server.http}`);
  const body = Buffer.from(JSON.stringify({ eventTypes: types }));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  const st = session.request({
    ":method": "POST",
    ":path": "/scriptengine.v1.EventService/Subscribe",
    "content-type": "application/connect+json",
    ...bearer(tokenOf(principal)).headers,
  });
  st.end(frame);
  const chunks: Buffer[] = [];
  const started = new Promise<void>((resolve) =>
    st.on("data", (d: Buffer) => {
      if (chunks.push(d) === 1) {
        st.pause();
        resolve();
      }
    }),
  );
  return {
    started,
    /** Reads on until `last` arrived or was reported lost; the events and loss notices seen. */
    async drain(last: bigint): Promise<{ events: number; lost: string[] }> {
      st.resume();
      let events = 0;
      let lost: string[] = [];
      for (let waited = 0; waited < 10_000; waited += 50) {
        const all = Buffer.concat(chunks);
        let off = 0;
        let reached = false;
        [events, lost] = [0, []];
        while (off + 5 <= all.length && off + 5 + all.readUInt32BE(off + 1) <= all.length) {
          const n = all.readUInt32BE(off + 1);
          const msg = JSON.parse(all.subarray(off + 5, off + 5 + n).toString());
          if (msg.event) events++;
          if (msg.lost) lost.push(`${msg.lost.reason} ${msg.lost.missedCount}`);
          if (all[off]! & 2) lost.push(`end ${JSON.stringify(msg)}`);
          if (BigInt(msg.event?.sequence ?? msg.lost?.lastMissedSequence ?? 0) >= last) reached = true;
          off += 5 + n;
        }
        if (reached) break;
        await sleep(50);
      }
      session.destroy();
      return { events, lost };
    },
  };
}

it("sheds the principal whose streams hold the most, not another principal's single bigger buffer", async () => {
  const events = clientFor(EventService, "grpc-js", server);
  const emit = async (event: EventInit) => (await events.emit({ event: { event } }, bearer(tokenOf("att")))).sequence;
  const victim = pausedStream("victim", ["script_compiled"]);
  await victim.started;
  let victimLast = 0n;
  for (let i = 0; i < 40; i++) victimLast = await emit({ case: "scriptCompiled", value: { scriptId: `v${i}`, success: false, error: big(50_000) } });
  await sleep(300);
  // Three paused streams of another principal, 25 events (~1.25 MB) each: each alone holds less
  // than the victim's one, together more.
  const kinds: [string, (i: number) => EventInit][] = [
    ["health_status_changed", (i) => ({ case: "healthStatusChanged", value: { serviceId: `h${i}`, status: 1, message: big(50_000) } })],
    ["service_unregistered", (i) => ({ case: "serviceUnregistered", value: { serviceId: `u${i}`, reason: big(50_000) } })],
    ["service_registered", (i) => ({ case: "serviceRegistered", value: { serviceId: `r${i}`, serviceType: "t", metadata: { m: { kind: { case: "stringValue", value: big(50_000) } } } } })],
  ];
  const att: { stream: ReturnType<typeof pausedStream>; last: bigint }[] = [];
  for (const [type, make] of kinds) {
    const stream = pausedStream("att", [type]);
    await stream.started;
    let last = 0n;
    for (let i = 0; i < 25; i++) last = await emit(make(i));
    att.push({ stream, last });
    await sleep(300);
  }
  expect(await victim.drain(victimLast)).toEqual({ events: 40, lost: [] });
  const got = [];
  for (const { stream, last } of att) got.push(await stream.drain(last));
  expect(got.flatMap((g) => g.lost).filter((l) => l.startsWith("LOSS_REASON_LAGGED")).length).toBeGreaterThan(0);
}, 120_000);
