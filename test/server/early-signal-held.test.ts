// A stop signal that came while the server's modules loaded is held, then acted on when the stop
// handlers take over: the stop they return is aborted already, and what waits for it must still
// hear it (an abort listener added after the abort never runs: the server would start, never be
// announced, and never stop). In process: the signal is emitted to the holder directly.
import { afterEach, expect, it } from "vitest";
import { holdStopSignals, onStopSignals, whenAborted } from "../../src/main.ts";
import { createLogger } from "../../src/log.ts";

afterEach(() => {
  for (const s of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.removeAllListeners(s);
});

it("a signal held before the handlers is the stop they return, and is heard by what waits after", async () => {
  const lines: string[] = [];
  holdStopSignals();
  process.emit("SIGTERM", "SIGTERM");
  const stop = onStopSignals(createLogger("info", {}, (l) => lines.push(l)));
  expect(stop.aborted).toBe(true);
  expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["shutdown requested"]);
  // Resolves (a never-settling wait would time the test out).
  await whenAborted(stop);
});

it("without one, the stop waits for a signal", async () => {
  holdStopSignals();
  const stop = onStopSignals(createLogger("silent"));
  expect(stop.aborted).toBe(false);
  const waited = whenAborted(stop);
  process.emit("SIGHUP", "SIGHUP");
  await waited;
  expect(stop.aborted).toBe(true);
});
