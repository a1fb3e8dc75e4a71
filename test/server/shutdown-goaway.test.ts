// At SIGTERM every HTTP/2 connection gets GOAWAY (with the last stream the server took), so a
// client knows which of its streams were never processed and may retry them anywhere. Idle
// connections used to be ended in the same tick as their GOAWAY was queued, before it was written:
// the client saw the connection drop with no GOAWAY, on both doors.
import { afterEach, describe, expect, it } from "vitest";
import * as http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { RunScriptRequestSchema, RunScriptResponseSchema, ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { untilMetrics } from "../helpers/until.ts";

interface Seen {
  goaway: boolean;
  /** The GOAWAY came before the connection closed. */
  goawayBeforeClose: boolean;
  closed: Promise<void>;
}

function connect(address: string): { session: http2.ClientHttp2Session; seen: Seen } {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  const seen: Seen = { goaway: false, goawayBeforeClose: false, closed: new Promise((resolve) => session.once("close", resolve)) };
  session.on("goaway", () => (seen.goaway = true));
  void seen.closed.then(() => (seen.goawayBeforeClose = seen.goaway));
  return { session, seen };
}

interface Answer {
  status?: string;
  message?: Buffer;
  trailers?: http2.IncomingHttpHeaders;
  rstCode?: number;
}

/** One unary gRPC call on `session`, read frame by frame: what came of its response. */
function grpcCall(session: http2.ClientHttp2Session, path: string, body: Uint8Array): Promise<Answer> {
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
  const answer: Answer = {};
  const chunks: Buffer[] = [];
  stream.on("response", (headers) => (answer.status = String(headers[":status"])));
  stream.on("data", (d: Buffer) => chunks.push(d));
  stream.on("trailers", (t) => (answer.trailers = t));
  stream.on("error", () => {});
  stream.end(frame);
  return new Promise((resolve) =>
    stream.once("close", () => {
      const data = Buffer.concat(chunks);
      if (data.length >= 5) answer.message = data.subarray(5, 5 + data.readUInt32BE(1));
      answer.rstCode = stream.rstCode;
      resolve(answer);
    }),
  );
}

const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
const RUN_SCRIPT = "/scriptengine.v1.ScriptService/RunScript";

describe("SIGTERM sends GOAWAY before ending HTTP/2 connections", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  for (const door of ["grpc", "http"] as const) {
    it(`${door} door: an idle connection sees GOAWAY, then the close`, { timeout: 30_000 }, async () => {
      server = await startServer({ toml: `[server]\nshutdown_grace = "20s"\n` });
      const { session, seen } = connect(server[door]);
      try {
        const answer = await grpcCall(session, HEALTH_CHECK, new Uint8Array());
        expect(answer.trailers?.["grpc-status"]).toBe("0");
        expect(await server.stop()).toBe(0);
        await seen.closed;
        expect(seen.goawayBeforeClose).toBe(true);
      } finally {
        session.destroy();
      }
    });

    it(`${door} door: a call in flight at SIGTERM gets its whole answer, trailers included, and the connection its GOAWAY`, { timeout: 30_000 }, async () => {
      server = await startServer({ toml: `[server]\nshutdown_grace = "20s"\n` });
      const { session, seen } = connect(server[door]);
      try {
        const source = "export default async () => { await new Promise((r) => setTimeout(r, 800)); return 'finished'; }";
        const call = grpcCall(session, RUN_SCRIPT, toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, { source })));
        // Running on a worker, not queued or compiling (those are refused at shutdown by design).
        await untilMetrics(clientFor(ScriptService, "grpc-js", server), "the execution runs", (m) => m.busyIsolates === 1n);
        const exited = server.stop();
        const answer = await call;
        expect(answer.status).toBe("200");
        expect(answer.rstCode).toBe(http2.constants.NGHTTP2_NO_ERROR);
        expect(answer.trailers?.["grpc-status"]).toBe("0");
        expect(fromBinary(RunScriptResponseSchema, answer.message!).result?.returnValue?.kind.value).toBe("finished");
        expect(await exited).toBe(0);
        await seen.closed;
        expect(seen.goawayBeforeClose).toBe(true);
      } finally {
        session.destroy();
      }
    });
  }
});
