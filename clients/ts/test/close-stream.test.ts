// close() during a subscribe()/watch() loop ends the loop quietly, as the caller's signal does (the
// rule of all three SDKs), on every transport; unary calls in flight still fail CancelledError.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { CancelledError, createScriptEngineClient, type ScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

/** How the loop over `iterable` ended: "quietly", "timeout" or the error. */
async function drain(iterable: AsyncIterable<unknown>, limitMs: number): Promise<unknown> {
  const loop = (async () => {
    for await (const _ of iterable) { /* idle streams: none arrive */ }
    return "quietly";
  })().catch((e: unknown) => e);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((r) => (timer = setTimeout(() => r("timeout"), limitMs)));
  try {
    return await Promise.race([loop, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const loops = {
  subscribe: (c: ScriptEngineClient) => c.subscribe({ eventTypes: ["migration_completed"] }),
  watch: (c: ScriptEngineClient) => c.watch({ serviceType: "nothing-here" }),
};

describe.each(["grpc-js", "grpc-http2", "connect", "grpc-web"] as const)("close() over %s", (transport) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: SERVER_ARGS });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const connect = () => createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport });

  it.each(["subscribe", "watch"] as const)("ends a %s loop quietly", async (kind) => {
    const client = connect();
    const ended = drain(loops[kind](client), 5000);
    await new Promise((r) => setTimeout(r, 500)); // the stream is open and idle
    client.close();
    expect(await ended).toBe("quietly");
  });

  it("ends a raw stream its reader left without return(): its next read fails CancelledError", async () => {
    const client = connect();
    const it = client.events.subscribe({})[Symbol.asyncIterator]();
    await it.next(); // the stream is open (its first message: started)
    client.close();
    const next = it.next().then(() => "went on", (e: unknown) => e);
    expect(await drain((async function* () { yield await next; })(), 5000)).toBe("quietly");
    expect(await next).toBeInstanceOf(CancelledError);
  });

  it.each(["subscribe", "watch"] as const)("a %s loop started after close() ends quietly", async (kind) => {
    const client = connect();
    client.close();
    expect(await drain(loops[kind](client), 5000)).toBe("quietly");
  });
});

it("close() ends a loop waiting to reconnect to a stopped server quietly, at once", async () => {
  const server = await startServer({ args: SERVER_ARGS });
  // A backoff of 5 to 10 minutes between streams: a loop that ends before drain's 20 s did not wait it out.
  const client = createScriptEngineClient({ address: server.grpc, retry: { initialBackoffMs: 600_000, maxBackoffMs: 600_000 } });
  const ended = drain(client.subscribe({ maxReconnects: 1000 }), 20_000);
  await new Promise((r) => setTimeout(r, 300));
  await server.stop();
  await new Promise((r) => setTimeout(r, 700)); // the stream ended, backing off
  client.close();
  expect(await ended).toBe("quietly");
});

it("close() during a loop still fails a unary call in flight with CancelledError", async () => {
  const server = await startServer({ args: SERVER_ARGS });
  const client = createScriptEngineClient({ address: server.grpc });
  try {
    const ended = drain(loops.watch(client), 5000);
    const slow = client.run("export default async () => { await new Promise((r) => setTimeout(r, 3000)); return 1 }").then(() => undefined, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500));
    client.close();
    const err = await slow;
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toMatch(/the client was closed/);
    expect(await ended).toBe("quietly");
  } finally {
    await server.stop();
  }
});
