// The HTTP port's own edges, with raw clients: headers that never finish, a first packet of one
// byte, deadlines longer than a timer holds, and a compressed body cut short.
import { connect as tcpConnect, type Socket } from "node:net";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { RunScriptRequestSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "server.idle_timeout=1s", "--set", "server.max_request_bytes=65536"] });

const [host, port] = (() => {
  const at = () => server.http.lastIndexOf(":");
  return [() => server.http.slice(0, at()), () => Number(server.http.slice(at() + 1))] as const;
})();

/** A raw TCP connection to the HTTP port; `closed` resolves "closed" when the server ends it, else "open" after `ms`. */
function raw(): { socket: Socket; data: () => string; closed: (ms: number) => Promise<"closed" | "open"> } {
  const socket = tcpConnect(port(), host());
  let data = "";
  socket.on("data", (d) => (data += d));
  socket.on("error", () => {});
  const ended = new Promise<"closed">((r) => socket.once("close", () => r("closed")));
  return {
    socket,
    data: () => data,
    closed: (ms) => Promise.race([ended, new Promise<"open">((r) => setTimeout(() => r("open"), ms))]),
  };
}

/** A raw gRPC RunScript over h2c on the HTTP port; resolves its grpc-status. */
async function grpcCall(headers: Record<string, string>, body?: Buffer): Promise<string> {
  const session = http2.connect(`http://${server.http}`);
  const message = Buffer.from(toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, { source: "6 * 7" })));
  const frame = body ?? Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), message]);
  if (!body) frame.writeUInt32BE(message.length, 1);
  try {
    return await new Promise<string>((resolve) => {
      const s = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/RunScript", "content-type": "application/grpc", te: "trailers", ...headers });
      let code = "";
      s.on("response", (h) => (code = String(h["grpc-status"] ?? "")));
      s.on("trailers", (h) => (code ||= String(h["grpc-status"])));
      s.on("data", () => {});
      s.on("error", () => {});
      s.on("close", () => resolve(code));
      s.end(frame);
    });
  } finally {
    session.close();
  }
}

describe("the HTTP port", () => {
  it("closes an HTTP/1.1 connection whose headers never finish, sent at once or trickled (no credentials needed to hold one otherwise)", async () => {
    const silent = raw();
    silent.socket.write("POST /scriptengine.v1.ScriptService/HealthCheck HTTP/1.1\r\nHost: x\r\n");
    const trickled = raw();
    trickled.socket.write("POST /scriptengine.v1.ScriptService/HealthCheck HTTP/1.1\r\n");
    const drip = setInterval(() => trickled.socket.write("X"), 200);
    try {
      expect(await silent.closed(8000)).toBe("closed");
      expect(await trickled.closed(8000)).toBe("closed");
    } finally {
      clearInterval(drip);
      silent.socket.destroy();
      trickled.socket.destroy();
    }
  });

  it("serves an HTTP/1.1 request whose first packet is a lone \"P\" (it could have begun the HTTP/2 preface)", async () => {
    const c = raw();
    c.socket.write("P");
    await new Promise((r) => setTimeout(r, 100));
    c.socket.write(`OST /scriptengine.v1.ScriptService/HealthCheck HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
    await c.closed(5000);
    expect(c.data()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.data()).toContain('"health"');
  });

  it("a deadline longer than a timer holds (30 days) is no deadline, not an instant failure (Connect, and gRPC on this port)", async () => {
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, {
      method: "POST",
      headers: { "content-type": "application/json", "connect-timeout-ms": String(30 * 24 * 3_600_000) },
      body: JSON.stringify({ source: "6 * 7" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { returnValue: number } }).result.returnValue).toBe(42);
    const viaGrpc = await grpcCall({ "grpc-timeout": "720H" });
    expect(viaGrpc).toBe("0");
  });

  it("a compressed body cut short is the caller's INVALID_ARGUMENT, not the server's INTERNAL", async () => {
    const gz = gzipSync(JSON.stringify({ source: "1 + 1" }));
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gz.subarray(0, gz.length - 6),
    });
    const body = (await res.json()) as { code: string; details?: { type: string }[] };
    expect([res.status, body.code]).toEqual([400, "invalid_argument"]);
    expect(body.details?.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
  });

  it("errors of the protocol layer carry ErrorInfo too, and a bad header is not called a bad message", async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const big = await post({}, JSON.stringify({ source: "1 + " + " ".repeat(70_000) + "1" }));
    const bigBody = (await big.json()) as { code: string; details?: { type: string; debug?: { reason?: string; metadata?: Record<string, string> } }[] };
    expect([big.status, bigBody.code]).toEqual([429, "resource_exhausted"]);
    expect(bigBody.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug).toMatchObject({ reason: "REQUEST_TOO_LARGE", metadata: { resource: "request_bytes" } });
    const badHeader = await post({ "connect-timeout-ms": "abc" }, JSON.stringify({ source: "1" }));
    const badBody = (await badHeader.json()) as { code: string; message: string; details?: { type: string; debug?: { reason?: string } }[] };
    expect([badHeader.status, badBody.code]).toEqual([400, "invalid_argument"]);
    expect(badBody.message).not.toMatch(/not a valid .*Request/);
    expect(badBody.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason).toBe("VALIDATION_ERROR");
  });
});
