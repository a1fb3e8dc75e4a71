// throttledWarn: one line per kind per window, saying how many were dropped; kinds past the
// bound share one bucket, so kinds derived from callers' input cannot grow its memory.
import { expect, it, vi } from "vitest";
import { flushThrottled, throttledWarn } from "../src/log-throttle.ts";
import type { Logger } from "../src/log.ts";

function recorder() {
  const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log = { warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }) } as unknown as Logger;
  return { lines, log };
}

it("writes a kind once per window, then says how many were dropped; answers whether it wrote", () => {
  const { lines, log } = recorder();
  let t = 0;
  const warn = throttledWarn(log, { windowMs: 1000, now: () => t });
  expect(warn("a", "first")).toBe(true);
  expect(warn("a", "again")).toBe(false);
  expect(warn("b", "other kind")).toBe(true);
  t = 999;
  expect(warn("a", "still")).toBe(false);
  t = 1000;
  expect(warn("a", "later", { x: 1 })).toBe(true);
  expect(lines).toEqual([
    { msg: "first", fields: { similar_dropped: 0 } },
    { msg: "other kind", fields: { similar_dropped: 0 } },
    { msg: "later", fields: { x: 1, similar_dropped: 2 } },
  ]);
});

it("kinds past maxKinds share one bucket", () => {
  const { lines, log } = recorder();
  const warn = throttledWarn(log, { maxKinds: 2, now: () => 0 });
  for (let i = 0; i < 100; i++) warn(`k${i}`, `line ${i}`);
  expect(lines.map((l) => l.msg)).toEqual(["line 0", "line 1", "line 2"]);
  expect(warn("k0", "known")).toBe(false); // known kinds keep their own bucket
});

it("tells the lines dropped in a window when it ends, by the last of them with the count of the others", async () => {
  vi.useFakeTimers();
  try {
    const { lines, log } = recorder();
    const written: string[] = [];
    const warn = throttledWarn(log, { windowMs: 1000, now: () => Date.now(), onWrite: (kind) => written.push(kind) });
    warn("a", "first");
    warn("a", "second", { n: 2 });
    warn("a", "third", { n: 3 });
    expect(lines).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(lines).toEqual([
      { msg: "first", fields: { similar_dropped: 0 } },
      { msg: "third", fields: { n: 3, similar_dropped: 1 } }, // "second"; "third" is the line itself
    ]);
    expect(written).toEqual(["a", "a"]);
    expect(warn("a", "fourth")).toBe(false); // the window starts again at the told line
    await vi.advanceTimersByTimeAsync(5000);
    // Told late, but alone: no other was dropped. Written lines plus their counts are the 4 calls.
    expect(lines.map((l) => [l.msg, l.fields?.similar_dropped])).toEqual([["first", 0], ["third", 1], ["fourth", 0]]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(lines).toHaveLength(3); // nothing dropped since: nothing more to tell
  } finally {
    vi.useRealTimers();
  }
});

it("flushThrottled tells at once what each throttle's windows hold (a server stopping), and only once", async () => {
  vi.useFakeTimers();
  try {
    const { lines, log } = recorder();
    const one = throttledWarn(log, { windowMs: 60_000, now: () => Date.now() });
    const other = throttledWarn(log, { windowMs: 60_000, now: () => Date.now() });
    one("a", "first");
    one("a", "second");
    one("a", "third", { n: 3 });
    other("b", "lone"); // written at once, nothing held
    other("c", "c1");
    other("c", "c2");
    expect(lines).toHaveLength(3);
    flushThrottled();
    expect(lines.map((l) => [l.msg, l.fields?.similar_dropped])).toEqual([["first", 0], ["lone", 0], ["c1", 0], ["third", 1], ["c2", 0]]);
    // The windows' timers were told too: nothing is written twice when they would have ended.
    await vi.advanceTimersByTimeAsync(120_000);
    flushThrottled();
    expect(lines).toHaveLength(5);
  } finally {
    vi.useRealTimers();
  }
});
