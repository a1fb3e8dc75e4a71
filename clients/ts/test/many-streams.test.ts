// The server allows 256 concurrent streams per HTTP/2 connection, and a call past that waits without
// an error. The SDK carried every call of a client (on grpc-js: of every client in the process) on one
// connection, so 256 open subscriptions made each other call wait out its deadline. Calls now spread
// over connections of at most CALLS_PER_CONNECTION each, and on grpc-js each client has its own.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

const STREAMS = 260;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS });
});
afterAll(() => server?.stop());

for (const transport of ["grpc-js", "grpc-http2"] as const) {
  it(`${STREAMS} open subscriptions: all start, and unary calls are answered (${transport})`, async () => {
    const address = transport === "grpc-js" ? server.grpc : server.http;
    const client = createScriptEngineClient({ transport, address });
    const other = createScriptEngineClient({ transport, address });
    const stop = new AbortController();
    let started = 0;
    const errors: unknown[] = [];
    const loops = Array.from({ length: STREAMS }, () =>
      (async () => {
        for await (const _ of client.subscribe({ signal: stop.signal, onStarted: () => started++ }));
      })().catch((e: unknown) => errors.push(e)),
    );
    try {
      for (const end = Date.now() + 20_000; started < STREAMS && errors.length === 0 && Date.now() < end; ) await sleep(50);
      expect(errors).toEqual([]);
      expect(started, "subscriptions started").toBe(STREAMS);
      // A call queued behind the subscriptions would wait out its deadline: they never end by themselves.
      for (const c of [client, other]) {
        await c.scripts.getConfig({}, { timeoutMs: 10_000 });
        expect(await c.run("export default () => 7", {}, { timeoutMs: 10_000 })).toBe(7);
      }
    } finally {
      stop.abort();
      await Promise.all(loops);
      client.close();
      other.close();
    }
  }, 60_000);
}
