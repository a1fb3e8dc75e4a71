// A request field the client cannot encode (a version of -1, 1.5 or 2**32 for a uint32, a negative
// uint64, a Duration past what its JSON form holds) used to fail InternalError "serialize binary: …"
// on the binary transports (and over connect-json for the Duration), while the server said
// INVALID_ARGUMENT for what reached it. The caller's value is at fault, and nothing was sent: it is
// InvalidArgumentError on every transport, as for NaN timeoutMs and arguments JSON cannot hold. A
// stream's request is checked in both encodings before the call starts (the HTTP transports send
// headers before the body); a unary one fails in the transport's encoder, before the request is made.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, InvalidArgumentError, type ScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS, TRANSPORTS } from "./support.ts";

const BAD_VERSIONS = [-1, 1.5, 2 ** 32];

async function failure(call: () => Promise<unknown>): Promise<unknown> {
  return call().then(() => undefined, (e: unknown) => e);
}

async function firstMessage(stream: AsyncIterable<unknown>): Promise<unknown> {
  for await (const m of stream) return m;
  return undefined;
}

/** A duration JSON cannot write (its bound is ±315,576,000,000 s); binary takes any int64. */
const tooLongEmit = { event: { event: { case: "scriptExecuted" as const, value: { scriptId: "s", duration: { seconds: 400_000_000_000n } } } } };

describe.each(TRANSPORTS)("a request the client cannot encode, over %s", (transport) => {
  let server: TestServer;
  let client: ScriptEngineClient;
  beforeAll(async () => {
    server = await startServer({ args: SERVER_ARGS });
    client = createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport, retry: false });
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it.each(BAD_VERSIONS)("execute with version %d is InvalidArgumentError naming the field", async (version) => {
    const err = await failure(() => client.execute("ver", {}, { version }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).rawMessage).toMatch(/version/);
  });

  it("a stream's request (subscribe after -1) is InvalidArgumentError", async () => {
    const err = await failure(() => firstMessage(client.events.subscribe({ afterSequence: -1n })));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).rawMessage).toMatch(/after_sequence|afterSequence/);
  });

  it("a Duration JSON cannot hold is InvalidArgumentError: the client's over JSON, the server's over binary", async () => {
    const err = await failure(() => client.events.emit(tooLongEmit));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    if (transport === "connect-json") expect((err as InvalidArgumentError).rawMessage).toMatch(/Duration/);
  });

  it("a request that encodes still reaches the server", async () => {
    const err = await failure(() => client.execute("no-such-script", {}, { version: 2 ** 32 - 1 }));
    expect((err as { codeName?: string }).codeName).toBe("NOT_FOUND");
  });
});

describe("nothing is sent", () => {
  let listener: Server;
  let port = 0;
  let connections = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    listener = createServer((s) => {
      connections++;
      sockets.add(s);
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    port = (listener.address() as AddressInfo).port;
  });
  afterAll(() => {
    for (const s of sockets) s.destroy();
    listener?.close();
  });

  it.each(TRANSPORTS)("over %s", async (transport) => {
    connections = 0;
    const client = createScriptEngineClient({ address: `127.0.0.1:${port}`, transport, retry: false });
    try {
      expect(await failure(() => firstMessage(client.events.subscribe({ afterSequence: -1n }, { timeoutMs: 2000 })))).toBeInstanceOf(InvalidArgumentError);
      if (transport === "connect-json") expect(await failure(() => client.events.emit(tooLongEmit, { timeoutMs: 2000 }))).toBeInstanceOf(InvalidArgumentError);
      // A unary request is encoded before anything is sent by grpc-js and Connect; gRPC-Web and
      // grpc-http2 (connect-node) send the headers first and reset the call, so no request is made.
      // JSON writes a uint32 of -1 as it is: over connect-json the server refuses it (INVALID_ARGUMENT too).
      if (transport === "grpc-js" || transport === "connect") expect(await failure(() => client.execute("ver", {}, { version: -1, timeoutMs: 2000 }))).toBeInstanceOf(InvalidArgumentError);
    } finally {
      client.close();
    }
    expect(connections).toBe(0);
  });
});
