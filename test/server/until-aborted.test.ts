// How a server stream follows its source (doors/until-aborted.ts): it holds on to nothing it has
// sent, stops at once when the caller leaves, and on shutdown still sends what the source holds.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { MAX_DRAINED_ON_SHUTDOWN, untilAborted } from "../../src/doors/until-aborted.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** A source like a subscription: it hands out what it was given, and waits for more. */
function queue<T>() {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  return {
    push(...xs: T[]) {
      items.push(...xs);
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (items.length > 0) yield items.shift()!;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

describe("untilAborted", () => {
  it("keeps none of the messages it has passed on, however long the stream lives", async () => {
    async function* big() {
      for (let i = 0; i < 10_000; i++) yield new Array<number>(4096).fill(i + 0.5); // 32 KB of heap each, 320 MB in all
    }
    gc();
    const before = process.memoryUsage().heapUsed;
    let n = 0;
    for await (const m of untilAborted(big(), new AbortController().signal, new AbortController().signal)) {
      n += m.length > 0 ? 1 : 0;
      if (n === 9_999) {
        gc();
        // Held messages would be ~320 MB here.
        expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
      }
    }
    expect(n).toBe(10_000);
  });

  it("stops at once when the caller leaves, leaving queued messages unsent", async () => {
    const q = queue<number>();
    const cancel = new AbortController();
    const got: number[] = [];
    const reading = (async () => {
      for await (const m of untilAborted(q, cancel.signal)) got.push(m);
    })();
    q.push(1);
    await new Promise((r) => setTimeout(r, 10));
    q.push(2, 3);
    cancel.abort();
    await reading;
    expect(got).toEqual([1]);
  });

  it("on shutdown sends what the source already holds, then ends; never more than its bound", async () => {
    const q = queue<number>();
    const drain = new AbortController();
    const got: number[] = [];
    const reading = (async () => {
      for await (const m of untilAborted(q, new AbortController().signal, drain.signal)) got.push(m);
    })();
    q.push(1);
    await new Promise((r) => setTimeout(r, 10));
    q.push(2, 3); // queued the moment shutdown begins (the engine's own deregistration)
    drain.abort();
    await reading;
    expect(got).toEqual([1, 2, 3]);

    const flood = queue<number>();
    flood.push(...Array.from({ length: MAX_DRAINED_ON_SHUTDOWN + 50 }, (_, i) => i));
    const stop = new AbortController();
    stop.abort();
    let sent = 0;
    for await (const _ of untilAborted(flood, new AbortController().signal, stop.signal)) sent++;
    expect(sent).toBe(MAX_DRAINED_ON_SHUTDOWN);
  });
});
