// The wait a command's calls carry, as the message of a bare DEADLINE_EXCEEDED states it: a
// migration's calls wait 120 s (a directory's an hour), not the one-shot 15 s it claimed ("no
// answer within 15 s (SE_ANSWER_WAIT_MS sets the wait, ms)" for a migration that ran two minutes).
import { expect, it } from "vitest";
import { callWait, connect } from "../../src/cli/connection.ts";

const o = { address: "127.0.0.1:1" } as never;

it("a one-shot call's wait is SE_ANSWER_WAIT_MS's", () => {
  connect(o).client.close();
  expect(callWait()).toEqual({ ms: 15_000, setBy: "SE_ANSWER_WAIT_MS sets the wait, ms" });
});

it("a command's own deadline is the wait it states", () => {
  connect(o, { executionTimeoutMs: 120_000, waitSetBy: "a migration's deadline" }).client.close();
  expect(callWait()).toEqual({ ms: 120_000, setBy: "a migration's deadline" });
  connect(o, { waitMs: 3_600_000, waitSetBy: "a directory migration's deadline" }).client.close();
  expect(callWait()).toEqual({ ms: 3_600_000, setBy: "a directory migration's deadline" });
});
