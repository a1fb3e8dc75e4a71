// What the caller's own subscribe()/watch() callbacks (onLost, onStarted, onRestart, onSynced) throw
// ends the loop as it is, the same object: it was made an InternalError "[unknown] …" (a caller's
// `instanceof` no longer matched), and one that was an UnavailableError or CancelledError was taken
// for a dropped connection, resubscribing without end (maxReconnects never reached). The loop's other
// errors are unchanged: EventsLostError, and a dropped connection still resumes.
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import {
  CancelledError,
  ChangeKind,
  createScriptEngineClient,
  LossReason,
  SubscribeResponseSchema,
  UnavailableError,
  WatchServicesResponseSchema,
  type ScriptEngineClient,
} from "../src/index.ts";
import { framed, startScriptedGrpcServer, type ScriptedGrpcServer } from "./scripted-grpc-server.ts";

class CheckpointError extends Error {}

const STARTED = framed(SubscribeResponseSchema, { message: { case: "started", value: { subscriptionId: "s1", latestSequence: 3n } } });
const LOST = framed(SubscribeResponseSchema, {
  message: { case: "lost", value: { reason: LossReason.RESTART, missedCount: 1n, firstMissedSequence: 0n, lastMissedSequence: 0n } },
});
const SYNCED = framed(WatchServicesResponseSchema, { kind: ChangeKind.SYNCED });

let server: ScriptedGrpcServer | undefined;
let client: ScriptEngineClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  client = server = undefined;
});

/** A server whose every call gets these messages, then OK; a client of it over `transport`. */
async function answering(transport: "grpc-js" | "grpc-http2", messages: Uint8Array[]) {
  server = await startScriptedGrpcServer(() => ({ messages }));
  client = createScriptEngineClient({ address: server.address, transport, retry: { initialBackoffMs: 0 } });
  return { server, client };
}

/** What iterating `loop` to its end throws. */
async function thrownBy(loop: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const _ of loop);
  } catch (e) {
    return e;
  }
  return undefined;
}

const SDK_ERRORS: [string, () => Error][] = [
  ["a plain Error", () => new CheckpointError("checkpoint invalid")],
  ["an UnavailableError", () => new UnavailableError(new ConnectError("down", Code.Unavailable))],
  ["a CancelledError", () => new CancelledError(new ConnectError("reset", Code.Canceled))],
  ["a ConnectError UNAVAILABLE", () => new ConnectError("down", Code.Unavailable)],
];

describe.each(["grpc-js", "grpc-http2"] as const)("over %s", (transport) => {
  describe.each(SDK_ERRORS)("%s thrown", (_name, make) => {
    it("by onStarted ends subscribe() with it, after one stream", async () => {
      const { server, client } = await answering(transport, [STARTED]);
      const thrown = make();
      let calls = 0;
      const err = await thrownBy(client.subscribe({ maxReconnects: 2, onStarted: () => {
        calls++;
        throw thrown;
      } }));
      expect(err).toBe(thrown);
      expect([calls, server.paths.length]).toEqual([1, 1]);
    });

    it("by onLost ends subscribe() with it", async () => {
      const { server, client } = await answering(transport, [STARTED, LOST]);
      const thrown = make();
      const err = await thrownBy(client.subscribe({ afterSequence: 99n, maxReconnects: 2, onLost: () => { throw thrown; } }));
      expect(err).toBe(thrown);
      expect(server.paths.length).toBe(1);
    });

    it("by onRestart or onSynced ends watch() with it", async () => {
      const { server, client } = await answering(transport, [SYNCED]);
      const thrown = make();
      expect(await thrownBy(client.watch({ maxReconnects: 2, onRestart: () => { throw thrown; } }))).toBe(thrown);
      expect(server.paths.length).toBe(0); // onRestart runs before the stream starts
      expect(await thrownBy(client.watch({ maxReconnects: 2, onSynced: () => { throw thrown; } }))).toBe(thrown);
      expect(server.paths.length).toBe(1);
    });
  });
});

it("a stream the server ends UNAVAILABLE is still resubscribed, up to maxReconnects", async () => {
  server = await startScriptedGrpcServer(() => ({ messages: [], status: Code.Unavailable }));
  client = createScriptEngineClient({ address: server.address, retry: { initialBackoffMs: 0 } });
  expect(await thrownBy(client.subscribe({ maxReconnects: 2 }))).toBeInstanceOf(UnavailableError);
  expect(server.paths.length).toBe(3);
});
