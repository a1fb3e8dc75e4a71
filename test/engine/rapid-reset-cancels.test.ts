// A flood of HTTP/2 "rapid reset" ExecuteScript streams (each opened with its request and reset at
// once) over the gRPC port made the server replace workers, logging "did not stop a cancelled
// execution in time", though each cancelled script stopped (or was dropped) at once: the server's
// event loop, busy with the flood for longer than the cancel's grace, ran the grace's timer before
// it read the worker's answer, and took the worker for one that would not stop. Here two executions
// run (parked on a timer) when their streams are reset early in a flood of rapid resets over four
// connections, three times (2,100 resets); no worker may be replaced, and an ordinary execution
// afterwards succeeds.
import * as http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { ExecuteScriptRequestSchema, ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { untilMetrics } from "../helpers/until.ts";

const server = serverForTests({ args: ["--set", "pool.workers=2"] });

const CONNECTIONS = 4;
/** Rounds of the flood: 100 resets each, over the connections in turn (under nghttp2's bound of 1,000 per connection). */
const ROUNDS = 7;
/** The running executions are cancelled before this round: the rest of the flood comes after their cancels. */
const CANCEL_BEFORE = 1;
/** Times it is done (2,100 resets in all): how the server's reads and the worker's answers fall varies. */
const CYCLES = 3;

/** One gRPC ExecuteScript message, framed. */
function frameOf(scriptId: string): Buffer {
  const body = toBinary(ExecuteScriptRequestSchema, create(ExecuteScriptRequestSchema, { scriptId }));
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

function open(session: http2.ClientHttp2Session, frame: Buffer): { stream: http2.ClientHttp2Stream; closed: Promise<void> } {
  const stream = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/ExecuteScript", "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.on("data", () => {});
  const closed = new Promise<void>((resolve) => stream.on("close", () => resolve()));
  stream.end(frame);
  return { stream, closed };
}

/** Two executions running (parked on a timer), cancelled early in a flood of rapid resets. */
async function cycle(scripts: Client<typeof ScriptService>, parked: Buffer, quick: Buffer): Promise<void> {
  const sessions = Array.from({ length: CONNECTIONS }, () => http2.connect(`http://${server.grpc}`).on("error", () => {}));
  try {
    await Promise.all(sessions.map((s) => new Promise((resolve) => s.once("remoteSettings", resolve))));
    const running = [open(sessions[0]!, parked), open(sessions[0]!, parked)];
    await untilMetrics(scripts, "both executions have started", (m) => m.busyIsolates === 2n);
    const closed = running.map((r) => r.closed);
    for (let round = 0; round < ROUNDS; round++) {
      if (round === CANCEL_BEFORE) for (const r of running) r.stream.close(http2.constants.NGHTTP2_CANCEL);
      const session = sessions[round % CONNECTIONS]!;
      for (let i = 0; i < 100 && !session.closed; i++) {
        const { stream, closed: c } = open(session, quick);
        stream.close(http2.constants.NGHTTP2_CANCEL);
        closed.push(c);
      }
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(closed);
    await untilMetrics(scripts, "no execution is left running", (m) => m.busyIsolates === 0n && m.queueLength === 0n);
  } finally {
    for (const s of sessions) s.destroy();
  }
}

it("a flood of reset ExecuteScript streams replaces no worker", { timeout: 180_000 }, async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const parked = (await scripts.compileScript({ source: 'export default () => new Promise((r) => setTimeout(() => r("late"), 20000))' })).script!.scriptId;
  const quick = (await scripts.compileScript({ source: "6 * 7" })).script!.scriptId;
  for (let i = 0; i < CYCLES; i++) await cycle(scripts, frameOf(parked), frameOf(quick));
  const after = await scripts.executeScript({ scriptId: quick });
  expect(after.result?.returnValue?.kind.value).toBe(42);
  expect((await scripts.getMetrics({})).metrics?.workerRestarts).toBe(0n);
  expect(server.logs()).not.toContain("did not stop a cancelled execution");
});
