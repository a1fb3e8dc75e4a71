// A subscription's messages as short lines a test compares: `started`, `event 3`,
// `lost LAGGED 2 1..2`.
import { LossReason, type SubscribeResponse } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { Subscription } from "../../src/events/index.ts";

export const shape = (m: SubscribeResponse) =>
  m.message.case === "event"
    ? `event ${m.message.value.sequence}`
    : m.message.case === "lost"
      ? `lost ${LossReason[m.message.value.reason]} ${m.message.value.missedCount} ${m.message.value.firstMissedSequence}..${m.message.value.lastMissedSequence}`
      : (m.message.case ?? "");

/** What a reader of a bus subscription gets now, without waiting for more. */
export async function drain(sub: Subscription): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const next = await Promise.race([sub.next(), new Promise<null>((r) => setTimeout(() => r(null), 0))]);
    if (next === null || next.done) return out;
    out.push(shape(next.value));
  }
}
