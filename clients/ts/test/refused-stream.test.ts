// grpc-http2: a stream the server refuses before processing it (HTTP/2 REFUSED_STREAM: a call sent as
// the server closes an idle connection, its GOAWAY naming an earlier last stream) reached nothing.
// It was InternalError and never retried; it is UnavailableError, sent again whatever the method (as
// gRPC's transparent retry does on grpc-js), and subscribe() resumes. Another reset is not a refusal.
import { constants } from "node:http2";
import { afterEach, describe, expect, it } from "vitest";
import { createScriptEngineClient, InternalError, SubscribeResponseSchema, UnavailableError, type ScriptEngineClient } from "../src/index.ts";
import { framed, startScriptedGrpcServer, type Answer, type ScriptedGrpcServer } from "./scripted-grpc-server.ts";

const RUN = "/scriptengine.v1.ScriptService/RunScript";
const GET_CONFIG = "/scriptengine.v1.ScriptService/GetConfig";
const SUBSCRIBE = "/scriptengine.v1.EventService/Subscribe";

let server: ScriptedGrpcServer | undefined;
let client: ScriptEngineClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  client = server = undefined;
});

/** The first `resets` calls are reset with `code`, the later ones answered (an empty message, OK). */
async function resetting(resets: number, code = constants.NGHTTP2_REFUSED_STREAM, answered: Answer = { messages: [new Uint8Array(5)] }) {
  server = await startScriptedGrpcServer((_path, index) => (index < resets ? { reset: code } : answered));
  return server;
}

const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe("grpc-http2, a stream the server refused", () => {
  it("is UnavailableError, not InternalError", async () => {
    const s = await resetting(1);
    client = createScriptEngineClient({ address: s.address, transport: "grpc-http2", retry: false });
    const err = await errorOf(client.scripts.getConfig({}));
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).rawMessage).toMatch(/REFUSED_STREAM/);
  });

  it.each([
    ["RunScript (not idempotent)", RUN, (c: ScriptEngineClient) => c.scripts.runScript({ source: "1" })],
    ["GetConfig", GET_CONFIG, (c: ScriptEngineClient) => c.scripts.getConfig({})],
  ])("%s is sent again and succeeds", async (_name, path, call) => {
    const s = await resetting(2);
    const retries: { method: string; error: unknown }[] = [];
    client = createScriptEngineClient({ address: s.address, transport: "grpc-http2", retry: { initialBackoffMs: 0 }, onRetry: (r) => retries.push(r) });
    await call(client);
    expect(s.paths).toEqual([path, path, path]);
    expect(retries.map((r) => r.method)).toEqual([path.slice(1), path.slice(1)]);
    expect(retries.every((r) => r.error instanceof UnavailableError)).toBe(true);
  });

  it("is not sent again with retry: false", async () => {
    const s = await resetting(1);
    client = createScriptEngineClient({ address: s.address, transport: "grpc-http2", retry: false });
    expect(await errorOf(client.scripts.runScript({ source: "1" }))).toBeInstanceOf(UnavailableError);
    expect(s.paths).toEqual([RUN]);
  });

  it("ends a raw stream UnavailableError, and subscribe() resumes past it", async () => {
    const started = framed(SubscribeResponseSchema, { message: { case: "started", value: { subscriptionId: "s1", latestSequence: 7n } } });
    const s = await resetting(2, constants.NGHTTP2_REFUSED_STREAM, { messages: [started] });
    client = createScriptEngineClient({ address: s.address, transport: "grpc-http2", retry: { initialBackoffMs: 0 } });
    expect(await errorOf((async () => { for await (const _ of client!.events.subscribe({})); })())).toBeInstanceOf(UnavailableError);
    const starts: bigint[] = [];
    for await (const _ of client.subscribe({ onStarted: (st) => starts.push(st.latestSequence) }));
    expect(starts).toEqual([7n]);
    expect(s.paths).toEqual([SUBSCRIBE, SUBSCRIBE, SUBSCRIBE]);
  });

  it("another reset (INTERNAL_ERROR) of a call that is not idempotent is not sent again", async () => {
    const s = await resetting(1, constants.NGHTTP2_INTERNAL_ERROR);
    client = createScriptEngineClient({ address: s.address, transport: "grpc-http2", retry: { initialBackoffMs: 0 } });
    expect(await errorOf(client.scripts.runScript({ source: "1" }))).toBeInstanceOf(InternalError);
    expect(s.paths).toEqual([RUN]);
  });
});
