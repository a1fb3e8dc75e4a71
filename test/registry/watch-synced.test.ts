// WatchServices marks the end of its snapshot with one SYNCED (no registration): a watch nothing
// matches gets it at once, so a client can tell an open, caught-up watch from one still connecting
// (it used to get nothing at all, not even headers); a watch cut short by EVENTS_LOST never claims
// it, and the watch taken again gets a fresh snapshot and SYNCED.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectError } from "@connectrpc/connect";
import { ChangeKind, type WatchServicesResponse } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { PROTOCOLS } from "../helpers/clients.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { registryAs, wideMetadata } from "./through-server.ts";

const WATCH_BUFFER = 4;
// ~15 KB each, ~3 MB in all: more than the flow-control windows and socket buffers let the server
// send before the client reads, so the snapshot is still unsent when the changes overflow the buffer.
const BIG = 200;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ toml: `[discovery]\nenabled = false\n[registry]\nwatch_buffer = ${WATCH_BUFFER}\n` });
  const c = registryAs(server);
  for (const id of ["c", "a", "b"]) await c.registerService({ service: { serviceId: id, serviceType: "few", endpoint: "127.0.0.1:1" } });
  for (let i = 0; i < BIG; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, k) =>
        c.registerService({
          service: { serviceId: `s-${String(i + k).padStart(4, "0")}`, serviceType: "big", endpoint: "127.0.0.1:1", metadata: wideMetadata(15, 340, i + k) },
          ttl: { seconds: 600n },
        }),
      ),
    );
  }
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const label = (m: WatchServicesResponse) => [ChangeKind[m.kind], m.registration?.service?.serviceId].filter(Boolean).join(":");

/** The next message, or "timeout" when none comes within `ms`. */
async function nextWithin(it: AsyncIterator<WatchServicesResponse>, ms: number): Promise<WatchServicesResponse | "timeout" | "done"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), ms)));
  try {
    const r = await Promise.race([it.next(), timeout]);
    return r === "timeout" ? r : r.done ? "done" : r.value;
  } finally {
    clearTimeout(timer);
  }
}

describe("WatchServices SYNCED", () => {
  it.each(PROTOCOLS)("a watch that matches nothing gets SYNCED at once, with no registration (%s)", async (protocol) => {
    const ac = new AbortController();
    const it = registryAs(server, undefined, protocol).watchServices({ serviceType: "Nothing" }, { signal: ac.signal })[Symbol.asyncIterator]();
    try {
      const first = await nextWithin(it, 5000);
      expect(first, "the idle watch's first message").not.toBe("timeout");
      expect(ChangeKind[(first as WatchServicesResponse).kind]).toBe("SYNCED");
      expect((first as WatchServicesResponse).registration).toBeUndefined();
      // Once, not again while nothing changes.
      expect(await nextWithin(it, 300)).toBe("timeout");
    } finally {
      ac.abort();
    }
  });

  it("the snapshot, then one SYNCED, then the changes", async () => {
    const ac = new AbortController();
    const it = registryAs(server).watchServices({ serviceType: "few" }, { signal: ac.signal })[Symbol.asyncIterator]();
    try {
      const seen: string[] = [];
      for (let i = 0; i < 4; i++) seen.push(label((await it.next()).value as WatchServicesResponse));
      expect(seen).toEqual(["EXISTING:a", "EXISTING:b", "EXISTING:c", "SYNCED"]);
      await registryAs(server).registerService({ service: { serviceId: "d", serviceType: "few", endpoint: "127.0.0.1:1" } });
      expect(label((await it.next()).value as WatchServicesResponse)).toBe("REGISTERED:d");
    } finally {
      ac.abort();
    }
  });

  it("a watch ended by EVENTS_LOST before its snapshot was read never says SYNCED; the next watch gets a fresh snapshot and SYNCED", async () => {
    const lagging = new AbortController();
    const it = registryAs(server).watchServices({ serviceType: "big" }, { signal: lagging.signal })[Symbol.asyncIterator]();
    const kinds: Record<string, number> = {};
    let error: unknown;
    try {
      expect((await it.next()).value?.kind).toBe(ChangeKind.EXISTING);
      const c = registryAs(server);
      for (let i = 0; i <= WATCH_BUFFER; i++) await c.registerService({ service: { serviceId: `burst-${i}`, serviceType: "big", endpoint: "127.0.0.1:1" } });
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        kinds[ChangeKind[r.value.kind]!] = (kinds[ChangeKind[r.value.kind]!] ?? 0) + 1;
      }
    } catch (e) {
      error = e;
    } finally {
      lagging.abort();
    }
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe("EVENTS_LOST");
    expect(kinds.SYNCED).toBeUndefined();

    const ac = new AbortController();
    try {
      const fresh = registryAs(server).watchServices({ serviceType: "big" }, { signal: ac.signal })[Symbol.asyncIterator]();
      const again: string[] = [];
      for (;;) {
        const m = await nextWithin(fresh, 5000);
        again.push(typeof m === "string" ? m : ChangeKind[m.kind]!);
        if (typeof m === "string" || m.kind !== ChangeKind.EXISTING) break;
      }
      expect(again.length).toBe(BIG + WATCH_BUFFER + 2);
      expect(again.slice(-2)).toEqual(["EXISTING", "SYNCED"]);
    } finally {
      ac.abort();
    }
  });
});
