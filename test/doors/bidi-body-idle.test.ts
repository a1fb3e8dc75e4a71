// A bidi stream's request body is the caller's side of a conversation, not an upload: it may stay
// open past server.idle_timeout between messages (a reflection client browsing the API), and the
// idle bound on request bodies must not end it while the call is in progress.
import { expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServerReflection } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const IDLE_MS = 1000;
const server = serverForTests({ args: ["--set", `server.idle_timeout=${IDLE_MS / 1000}s`] });

it("a bidi stream on the HTTP door answers a message sent after server.idle_timeout", async () => {
  const client = createClient(ServerReflection, createGrpcTransport({ baseUrl: `http://${server.http}` }));
  type Msg = { messageRequest: { case: "listServices"; value: string } } | null;
  const queued: Msg[] = [];
  let wake: (() => void) | undefined;
  const send = (m: Msg) => {
    queued.push(m);
    wake?.();
  };
  async function* requests() {
    for (let i = 0; i < 3; i++) {
      while (queued.length === 0) await new Promise<void>((r) => (wake = r));
      const next = queued.shift()!;
      if (next === null) return;
      yield next;
    }
  }
  const stream = client.serverReflectionInfo(requests(), { timeoutMs: 15_000 })[Symbol.asyncIterator]();
  send({ messageRequest: { case: "listServices", value: "" } });
  const first = await stream.next();
  expect(first.value?.messageResponse.case).toBe("listServicesResponse");
  // Longer than the idle bound, shorter than the call's deadline: the stream is still open.
  await new Promise((r) => setTimeout(r, IDLE_MS * 2.5));
  send({ messageRequest: { case: "listServices", value: "" } });
  const second = await stream.next();
  expect(second.value?.messageResponse.case).toBe("listServicesResponse");
  send(null);
  expect((await stream.next()).done).toBe(true);
});
