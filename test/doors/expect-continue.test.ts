// `Expect: 100-continue` on the HTTP door: a Connect unary body whose Content-Length is over
// server.max_request_bytes is refused at once (429 REQUEST_TOO_LARGE), never invited with
// 100 Continue; a body that fits is invited and served. An enveloped body (gRPC-Web here) is always
// invited: its Content-Length is not its message's size (a 5-byte prefix each) and connect-node
// refuses a message by its prefix, so uninvited it was neither read nor refused, and a client that
// waits for the 100 hung until server.idle_timeout.
import { connect as tcpConnect } from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { RunScriptRequestSchema } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const CAP = 65536;
const server = serverForTests({ args: ["--set", `server.max_request_bytes=${CAP}`] });

const CONNECT = "Content-Type: application/json\r\n";
const GRPC_WEB = "Content-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\n";

/**
 * Sends the headers; once the server answers (anything), sends `body` when given. What came until
 * a chunked answer ended, the connection closed, or `ms` passed.
 */
function call(length: number, body: string | Buffer | undefined, ms: number, headers = CONNECT): Promise<string> {
  const at = server.http.lastIndexOf(":");
  const s = tcpConnect(Number(server.http.slice(at + 1)), server.http.slice(0, at));
  s.on("error", () => {});
  s.write(`POST /scriptengine.v1.ScriptService/RunScript HTTP/1.1\r\nHost: localhost\r\n${headers}Content-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`);
  let got = "";
  s.on("data", (d) => {
    const first = got === "";
    got += d.toString("latin1");
    if (first && body !== undefined) s.write(body);
    if (got.endsWith("\r\n0\r\n\r\n")) s.destroy();
  });
  return new Promise((resolve) => {
    const give = () => {
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(give, ms);
    s.on("close", () => {
      clearTimeout(timer);
      give();
    });
  });
}

/** A gRPC-Web body: one RunScript request of exactly `size` bytes, in its envelope. */
function grpcWebBody(size: number): Buffer {
  for (let pad = size; pad > 0; pad--) {
    const request = create(RunScriptRequestSchema, { source: "6 * 7", context: { arguments: { pad: { kind: { case: "stringValue", value: "x".repeat(pad) } } } } });
    const message = toBinary(RunScriptRequestSchema, request);
    if (message.length !== size) continue;
    const head = Buffer.alloc(5);
    head.writeUInt32BE(size, 1);
    return Buffer.concat([head, message]);
  }
  throw new Error(`no request of ${size} bytes`);
}

describe("Expect: 100-continue", () => {
  it("a Content-Length over the cap: 429 REQUEST_TOO_LARGE at once, no 100 Continue", async () => {
    const got = await call(1_000_000, undefined, 2000);
    expect(got).not.toMatch(/^HTTP\/1\.1 100/);
    expect(got).toMatch(/^HTTP\/1\.1 429 /);
    expect(got).toContain('"reason":"REQUEST_TOO_LARGE"');
  });

  it("a body that fits is invited, then served", async () => {
    const body = JSON.stringify({ source: "6 * 7" });
    const got = await call(body.length, body, 2000);
    expect(got).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(got).toContain('"returnValue":42');
  });

  it("gRPC-Web: a message of exactly the cap (its Content-Length over it by the prefix) is invited and served", async () => {
    const body = grpcWebBody(CAP);
    const got = await call(body.length, body, 5000, GRPC_WEB);
    expect(got).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(got).toMatch(/grpc-status: ?0\r\n/);
  });

  it("gRPC-Web: a message over the cap is invited, then refused by its prefix (RESOURCE_EXHAUSTED)", async () => {
    const body = grpcWebBody(CAP + 100);
    const got = await call(body.length, body, 5000, GRPC_WEB);
    expect(got).toMatch(/^HTTP\/1\.1 100 Continue/);
    expect(got).toMatch(/grpc-status: ?8\r\n/);
  });
});
