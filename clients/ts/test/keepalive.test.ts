// A server that stops answering without closing its connections (SIGSTOP, a host gone without a
// reset) looks fine to TCP: with no HTTP/2 pings a stream on it waited forever (an `events` tail saw
// nothing). grpc-js and grpc-http2 now ping, so such a stream fails UNAVAILABLE (without them it
// would wait on), while pings answered by a live server at that rate drop nothing.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, UnavailableError } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keepalive = { timeMs: 300, timeoutMs: 500 };

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS });
});
afterAll(async () => {
  server?.proc.kill("SIGCONT");
  await server?.stop();
});

for (const transport of ["grpc-js", "grpc-http2"] as const) {
  it(`a stream to a frozen server fails UNAVAILABLE (${transport})`, async () => {
    const client = createScriptEngineClient({ transport, address: transport === "grpc-js" ? server.grpc : server.http, keepalive });
    const it = client.events.subscribe({})[Symbol.asyncIterator]();
    try {
      expect((await it.next()).value?.message.case).toBe("started");
      const next = it.next().then(() => undefined, (e: unknown) => e);
      // Pings every 300 ms to a live server: the stream stays open.
      await sleep(2000);
      expect(await Promise.race([next, sleep(0).then(() => "open")])).toBe("open");
      server.proc.kill("SIGSTOP");
      const err = await Promise.race([next, sleep(10_000).then(() => "still waiting")]);
      expect(err).toBeInstanceOf(UnavailableError);
    } finally {
      server.proc.kill("SIGCONT");
      await it.return?.(undefined);
      client.close();
    }
  }, 30_000);
}
