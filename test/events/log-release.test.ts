// events.log_bytes bounds the heap, not only what readers see: an event the byte budget evicts is
// let go at once, not kept in its ring slot until log_size later events overwrite it.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { EventBus } from "../../src/events/bus.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const executed = (): ServiceEvent =>
  create(ServiceEventSchema, { event: { case: "scriptExecuted", value: { scriptId: "s", executionId: "e", success: true } } });

/** Whether the stored events `refs` point at are still reachable after full collections. */
async function alive(refs: WeakRef<object>[]): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r)); // WeakRefs hold their target until the job ends
    gc();
  }
  return refs.filter((r) => r.deref() !== undefined).length;
}

describe("the log's byte budget", () => {
  it("lets go of the events it evicts", async () => {
    const bus = new EventBus({ logSize: 1000, logBytes: 10_000 });
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 10; i++) refs.push(new WeakRef(bus.append(executed(), 4_000)));
    // Two fit the budget; the other eight left the log (readers cannot see them).
    expect(bus.retained().map((e) => Number(e.sequence))).toEqual([9, 10]);
    expect(await alive(refs.slice(0, 8))).toBe(0);
    expect(await alive(refs.slice(8))).toBe(2);
  });

  it("a subscriber that has not read an evicted event still gets it, and lets go of it once read", async () => {
    const bus = new EventBus({ logSize: 1000, logBytes: 10_000 });
    const sub = bus.subscribe();
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 4; i++) refs.push(new WeakRef(bus.append(executed(), 4_000)));
    expect((await sub.next()).value?.message.case).toBe("started");
    expect(await alive(refs.slice(0, 2))).toBe(2); // queued for the subscriber
    for (let i = 0; i < 4; i++) expect((await sub.next()).value?.message.case).toBe("event");
    expect(await alive(refs.slice(0, 2))).toBe(0);
    sub.close();
  });
});
