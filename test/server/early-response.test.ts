// On the HTTP port, a request refused for its size before its body was read must not harm the
// connection's next call: over HTTP/1.1 the answer says Connection: close (the next call was never
// answered on a kept-alive socket), over HTTP/2 the refused stream is reset with NO_ERROR once
// its answer is out (it stayed open, unread, until the server stopped).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import * as http2 from "node:http2";
import { startServer, type TestServer } from "../helpers/server.ts";

const CAP = 65536;
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: ["--set", `server.max_request_bytes=${CAP}`] });
});
afterAll(async () => {
  // Nothing a refused request left open holds the server back: it stops within its grace (10 s).
  const t0 = Date.now();
  expect(await server.stop()).toBe(0);
  expect(Date.now() - t0).toBeLessThan(9000);
});

/** `reused`: the call went out on a socket an earlier call on the agent had used. */
interface Answer { status: number; connection?: string; body: string; reused: boolean }

/** A Connect JSON RunScript on `agent`; a chunked body when `chunked` (no content-length). */
function run(agent: http.Agent, body: string, chunked: boolean): Promise<Answer> {
  const [host, port] = server.http.split(":");
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method: "POST", path: "/scriptengine.v1.ScriptService/RunScript", agent, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text, reused: req.reusedSocket }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (chunked) req.write(body.slice(0, 10));
    req.end(chunked ? body.slice(10) : body);
  });
}

// The stall this guards against lasted ~6 s (then ECONNRESET); a normal answer takes milliseconds.
// The bound only keeps a stall from hanging the test: which socket a call used is the assertion.
const WITHIN_MS = 10_000;

function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms))]);
}

const argument = (bytes: number) => JSON.stringify({ source: "export default (a) => a.s.length", context: { arguments: { s: "x".repeat(bytes) } } });

describe("HTTP/1.1: a request refused before its body was read", () => {
  it.each([
    ["a little over the cap", CAP + 1000],
    ["many times the cap", CAP * 40],
  ])("%s (chunked): answered 429 with Connection: close; the client's next call on the same agent is served", async (_what, bytes) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await within(WITHIN_MS, "refused call", run(agent, argument(bytes), true));
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toMatchObject({ code: "resource_exhausted", details: [{ debug: { reason: "REQUEST_TOO_LARGE" } }] });
      const next = await within(WITHIN_MS, "next call", run(agent, argument(3), false));
      expect([next.status, JSON.parse(next.body).result.returnValue]).toEqual([200, 3]);
      expect(refused.connection).toBe("close");
      // The refused call's connection was closed: the next one had to open its own.
      expect(next.reused).toBe(false);
    } finally {
      agent.destroy();
    }
  });

  it("a call read to its end keeps its connection alive", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ok = await run(agent, argument(100), true);
      expect([ok.status, ok.connection]).toEqual([200, "keep-alive"]);
      const again = await run(agent, argument(100), false);
      expect([again.status, again.reused]).toEqual([200, true]);
    } finally {
      agent.destroy();
    }
  });
});

describe("HTTP/2: a gRPC request refused before its body was read", () => {
  it("gets its status, then its stream is closed; the connection's next calls are served", async () => {
    const session = http2.connect(`http://${server.http}`);
    session.on("error", () => {});
    const call = (messageBytes: number) =>
      new Promise<{ status?: string; reason: boolean; closed: Promise<number> }>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/HealthCheck", "content-type": "application/grpc", te: "trailers" });
        const closed = new Promise<number>((done) => req.on("close", () => done(req.rstCode ?? -1)));
        const answer = (h: http2.IncomingHttpHeaders) => {
          const details = Buffer.from(String(h["grpc-status-details-bin"] ?? ""), "base64").toString("latin1");
          resolve({ status: h["grpc-status"] as string | undefined, reason: details.includes("REQUEST_TOO_LARGE"), closed });
        };
        req.on("response", (h) => h["grpc-status"] !== undefined && answer(h));
        req.on("trailers", answer);
        req.on("data", () => {});
        req.on("error", reject);
        const frame = Buffer.alloc(5 + messageBytes);
        frame.writeUInt32BE(messageBytes, 1);
        req.end(frame);
      });
    try {
      for (let i = 0; i < 3; i++) {
        const refused = await within(WITHIN_MS, "refused call", call(CAP * 40));
        expect([refused.status, refused.reason]).toEqual(["8", true]);
        // The server stops the rest of the request (RST_STREAM NO_ERROR): the stream ends.
        expect(await within(WITHIN_MS, "refused stream's end", refused.closed)).toBe(http2.constants.NGHTTP2_NO_ERROR);
        const next = await within(WITHIN_MS, "next call", call(0));
        expect(next.status).toBe("0");
      }
    } finally {
      session.destroy();
    }
  });
});
