// `events` loss notices: nothing when nothing was missed, no made-up 0..0 range, "up to N" after a
// restart (an upper bound), and with --json a {"lost":...} line in the NDJSON stream on stdout.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { EventsLostSchema, LossReason } from "../../clients/ts/src/index.ts";
import { lostNotice } from "../../src/cli/commands/events.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { live } from "./helpers.ts";

const lost = (reason: LossReason, missedCount: bigint, first = 0n, last = 0n) =>
  create(EventsLostSchema, { reason, missedCount, firstMissedSequence: first, lastMissedSequence: last });

it("says nothing when nothing was missed, and never prints an unknown 0..0 range", () => {
  expect(lostNotice(lost(LossReason.RESTART, 0n))).toBeUndefined();
  expect(lostNotice(lost(LossReason.RESTART, 9998n, 3n, 10000n))).toBe("scriptengine: up to 9998 events may have been missed across a server restart (3..10000)");
  expect(lostNotice(lost(LossReason.RESTART, 1n))).toBe("scriptengine: up to 1 event may have been missed across a server restart");
  expect(lostNotice(lost(LossReason.LAGGED, 5n, 10n, 14n))).toBe("scriptengine: missed 5 events (10..14): this subscriber fell behind");
  expect(lostNotice(lost(LossReason.RETENTION, 1n, 7n, 7n))).toBe("scriptengine: missed 1 event (7..7): no longer retained by the server");
});

const server = serverForTests({ args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] }, { checkExit: false });

it("with --json the notice is a JSON line on stdout, not text on stderr", async () => {
  const p = live(["-a", server.grpc, "--json", "events", "--after", "1000"]);
  await p.waitFor((out) => out.includes('"lost"'));
  const line = p.stdout().split("\n").find((l) => l.includes('"lost"'))!;
  expect(JSON.parse(line)).toMatchObject({ lost: { missedCount: expect.any(String) } });
  expect(p.stderr()).not.toContain("missed");
  expect(await p.interrupt()).toBe(130);
});

it("the human notice leaves out a range it does not know", async () => {
  const p = live(["-a", server.grpc, "events", "--after", "1000"]);
  await p.waitFor((_out, err) => err.includes("missed"));
  expect(p.stderr()).not.toContain("(0..0)");
  expect(p.stderr()).not.toContain("1 events");
  expect(await p.interrupt()).toBe(130);
});
