// WatchServices through the real server: the initial snapshot does not count against the watch
// buffer (registry.watch_buffer), so a watch over more registrations than the buffer survives a
// change made while its snapshot is still unread; only more unread changes than the buffer end it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectError } from "@connectrpc/connect";
import { ChangeKind, type WatchServicesResponse } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { Protocol } from "../helpers/clients.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { registryAs, wideMetadata } from "./through-server.ts";

const WATCH_BUFFER = 4;
// ~15 KB each, ~4.5 MB in all: far more than the HTTP/2 flow-control windows and socket buffers
// let the server send before the client reads, so most of the snapshot is still queued.
const SNAPSHOT = 300;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ toml: `[discovery]\nenabled = false\n[registry]\nwatch_buffer = ${WATCH_BUFFER}\n` });
  const c = registryAs(server);
  for (let i = 0; i < SNAPSHOT; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, k) =>
        c.registerService({
          service: { serviceId: `s-${String(i + k).padStart(4, "0")}`, serviceType: "t", endpoint: "127.0.0.1:1", metadata: wideMetadata(15, 340, i + k) },
          ttl: { seconds: 600n },
        }),
      ),
    );
  }
});
afterAll(async () => {
  await server?.stop();
});

async function readAll(it: AsyncIterator<WatchServicesResponse>, until: (m: WatchServicesResponse) => boolean) {
  const kinds: Record<string, number> = {};
  let error: unknown;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      kinds[ChangeKind[r.value.kind]] = (kinds[ChangeKind[r.value.kind]] ?? 0) + 1;
      if (until(r.value)) break;
    }
  } catch (e) {
    error = e;
  }
  return { kinds, error };
}

describe("WatchServices snapshot", () => {
  it.each<Protocol>(["grpc-js", "grpc-over-http"])(
    "a change while the snapshot is unread is delivered after it (%s)",
    async (protocol) => {
      const ac = new AbortController();
      const it = registryAs(server, undefined, protocol).watchServices({ serviceType: "t" }, { signal: ac.signal })[Symbol.asyncIterator]();
      try {
        const first = await it.next();
        expect(first.value.kind).toBe(ChangeKind.EXISTING);
        await registryAs(server).registerService({ service: { serviceId: `new-${protocol}`, serviceType: "t", endpoint: "127.0.0.1:1" } });
        const { kinds, error } = await readAll(it, (m) => m.kind === ChangeKind.REGISTERED);
        expect(error).toBeUndefined();
        expect(kinds).toEqual({ EXISTING: SNAPSHOT - 1 + Number(protocol === "grpc-over-http"), SYNCED: 1, REGISTERED: 1 });
      } finally {
        ac.abort();
      }
    },
  );

  it("more unread changes than the buffer still end the watch with EVENTS_LOST", async () => {
    const ac = new AbortController();
    const it = registryAs(server).watchServices({ serviceType: "t" }, { signal: ac.signal })[Symbol.asyncIterator]();
    try {
      expect((await it.next()).value.kind).toBe(ChangeKind.EXISTING);
      const c = registryAs(server);
      for (let i = 0; i <= WATCH_BUFFER; i++) {
        await c.registerService({ service: { serviceId: `burst-${i}`, serviceType: "t", endpoint: "127.0.0.1:1" } });
      }
      const { error } = await readAll(it, () => false);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe("EVENTS_LOST");
    } finally {
      ac.abort();
    }
  });
});
