// `events --after N` with N beyond the server's latest sequence: the server takes N as from a reset
// store (EventsLost RESTART, then every retained event), and the CLI says it does not know N
// instead of claiming a restart (and prints no count when the server's is only its floor of 1, with no
// range); a notice after a real restart keeps its wording.
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { EventsLostSchema, LossReason } from "../../clients/ts/src/index.ts";
import { lostNotice } from "../../src/cli/commands/events.ts";
import { startServer } from "../helpers/server.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { live } from "./helpers.ts";

const restart = (missedCount: bigint, first = 0n, last = 0n) =>
  create(EventsLostSchema, { reason: LossReason.RESTART, missedCount, firstMissedSequence: first, lastMissedSequence: last });

it("names the unknown sequence and the latest one, and only for a RESTART notice", () => {
  expect(lostNotice(restart(1n), { after: 120n, latest: 2n })).toBe(
    "scriptengine: the server does not know sequence 120 (its latest is 2: a reset or replaced store?); events published after it may have been missed, replaying all it retains",
  );
  expect(lostNotice(restart(3n, 1n, 2n), { after: 120n, latest: 5n })).toContain("up to 3 events may have been missed (1..2), replaying all it retains");
  expect(lostNotice(restart(4n))).toBe("scriptengine: up to 4 events may have been missed across a server restart");
  expect(lostNotice(restart(0n), { after: 120n, latest: 2n })).toBeUndefined();
});

const server = serverForTests({ args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] }, { checkExit: false });

it("on a fresh server, --after 120 is told the server does not know 120, not that it restarted", async () => {
  const p = live(["-a", server.grpc, "events", "--after", "120"]);
  await p.waitFor((_out, err) => err.includes("missed"));
  const line = p.stderr().split("\n").find((l) => l.includes("missed"))!;
  expect(line).toMatch(/^scriptengine: the server does not know sequence 120 \(its latest is \d+: a reset or replaced store\?\); events published after it may have been missed, replaying all it retains$/);
  expect(p.stderr()).not.toContain("restart");
  expect(await p.interrupt()).toBe(130);
});

it("an --after the server has reached gives no notice at all", async () => {
  const p = live(["-a", server.grpc, "events", "--after", "0"]);
  await p.waitFor((_out, err) => err.includes("subscribed"));
  await new Promise((r) => setTimeout(r, 300));
  expect(p.stderr()).not.toContain("missed");
  expect(await p.interrupt()).toBe(130);
});

it("after a real restart (a sequence from the earlier run), the notice still says so", async () => {
  const first = await startServer({ args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] });
  expect(await first.stop()).toBe(0);
  const again = await startServer({ dataDir: first.dataDir, args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] });
  try {
    const p = live(["-a", again.grpc, "events", "--after", "1"]);
    await p.waitFor((_out, err) => err.includes("missed"));
    expect(p.stderr()).toMatch(/^scriptengine: up to \d+ events? may have been missed across a server restart/m);
    expect(p.stderr()).not.toContain("does not know");
    expect(await p.interrupt()).toBe(130);
  } finally {
    await again.stop();
  }
});
