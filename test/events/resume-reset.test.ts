// A client resuming after a sequence beyond the server's latest (from a reset or replaced store) is
// told EventsLost(RESTART) whose count is the size of its range: it missed every number before the
// oldest retained, and the count no longer carried one more than the range held.
import { expect, it } from "vitest";
import { EventService, LossReason } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const as = bearer(tokenOf("alice"));
const s = serverForTests({ toml: `[events]\nlog_size = 5\n\n${principalsToml({ name: "alice", permissions: ["events:emit"] })}` });

it("after latest + 1: RESTART counting exactly its range, then the retained events", async () => {
  const events = clientFor(EventService, "grpc-js", s);
  let latest = 0n;
  for (let i = 0; i < 12; i++) latest = (await events.emit({ event: { event: { case: "scriptCompiled", value: { scriptId: `s${i}`, success: true } } } }, as)).sequence;
  const ac = new AbortController();
  const got = [];
  for await (const m of events.subscribe({ afterSequence: latest + 1n }, { ...as, signal: ac.signal })) {
    got.push(m);
    if (m.message.case === "event" && m.message.value.sequence === latest) break;
  }
  ac.abort();
  const [started, notice, ...rest] = got;
  if (started.message.case !== "started" || notice.message.case !== "lost") throw new Error(`unexpected ${started.message.case}, ${notice.message.case}`);
  const oldest = started.message.value.oldestSequence;
  const { reason, missedCount, firstMissedSequence, lastMissedSequence } = notice.message.value;
  expect(reason).toBe(LossReason.RESTART);
  expect([firstMissedSequence, lastMissedSequence]).toEqual([1n, oldest - 1n]);
  expect(missedCount).toBe(lastMissedSequence - firstMissedSequence + 1n);
  expect(rest.map((m) => (m.message.case === "event" ? m.message.value.sequence : -1n))).toEqual([0n, 1n, 2n, 3n, 4n].map((i) => oldest + i));
});
