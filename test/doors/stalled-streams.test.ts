// Each HTTP/2 stream of both doors is watched for a peer whose flow control stalls its answer
// (write-stall.ts). That watch armed a timer per stream, so per call; one timer now sweeps every
// stream watched. A stream with bytes pending and no write completed for a whole period is reset
// (CANCEL) and its peer told, once; one whose writes complete, or with nothing pending, is kept.
import { EventEmitter } from "node:events";
import { constants, type Http2Stream } from "node:http2";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { StalledStreams } from "../../src/doors/write-stall.ts";

const MS = 1000;

/** What the watch reads of a stream: its pending bytes, its writes and its close. */
class FakeStream extends EventEmitter {
  writableLength = 0;
  closedWith: number | undefined;
  readonly callbacks: (() => void)[] = [];
  _write(_chunk: unknown, _encoding: unknown, cb: () => void): void {
    this.callbacks.push(cb);
  }
  /** A write nghttp2 has not sent yet: pending until complete() is called. */
  write(bytes: number): void {
    this.writableLength += bytes;
    this._write(Buffer.alloc(bytes), "buffer", () => (this.writableLength -= bytes));
  }
  complete(): void {
    this.callbacks.shift()!();
  }
  close(code: number): void {
    this.closedWith = code;
  }
}

describe("StalledStreams", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("one timer sweeps every stream watched, and stops once none is", () => {
    const intervals = vi.spyOn(globalThis, "setInterval");
    const stalls = new StalledStreams(MS, () => {});
    const streams = Array.from({ length: 100 }, () => new FakeStream());
    for (const s of streams) stalls.watch(s as unknown as Http2Stream, "127.0.0.1:1");
    expect(intervals).toHaveBeenCalledTimes(1);
    for (const s of streams) s.emit("close");
    vi.advanceTimersByTime(MS);
    expect(vi.getTimerCount()).toBe(0);
    stalls.watch(new FakeStream() as unknown as Http2Stream, undefined);
    expect(intervals).toHaveBeenCalledTimes(2);
  });

  it("resets a stream with bytes pending and no write done for a whole period, once; keeps the others", () => {
    const cancelled: (string | undefined)[] = [];
    const stalls = new StalledStreams(MS, (peer) => cancelled.push(peer));
    const [stalled, slow, idle] = [new FakeStream(), new FakeStream(), new FakeStream()];
    stalls.watch(stalled as unknown as Http2Stream, "127.0.0.1:1");
    stalls.watch(slow as unknown as Http2Stream, "127.0.0.1:2");
    stalls.watch(idle as unknown as Http2Stream, "127.0.0.1:3");
    stalled.write(10);
    slow.write(10);
    slow.write(10);
    vi.advanceTimersByTime(MS); // the first sweep sees their writes pending
    slow.complete(); // one completes in the period: kept
    vi.advanceTimersByTime(MS);
    expect(stalled.closedWith).toBe(constants.NGHTTP2_CANCEL);
    expect(slow.closedWith).toBeUndefined();
    expect(idle.closedWith).toBeUndefined();
    expect(cancelled).toEqual(["127.0.0.1:1"]);
    vi.advanceTimersByTime(3 * MS); // the stalled one is not reset again before its close comes
    expect(cancelled).toEqual(["127.0.0.1:1", "127.0.0.1:2"]); // slow stalled since its completion
  });
});
