// What the HTTP door's request gate answers, whatever the call's deadline and before what it reads:
// - a deadline already passed on arrival (`connect-timeout-ms: 0`, `grpc-timeout: 0m`: a client
//   passing on a deadline it has spent) aborts the call's signal before the gate runs; connect-node
//   serves the call all the same, and its errors went out unmended (a truncated binary body as
//   INTERNAL/500 "parse binary: ...", no ErrorInfo, connect-node's `readMaxBytes` named);
// - a Connect GET's query is checked once the caller is authenticated (a caller without
//   credentials learns nothing of its message);
// - a Duration with 10 fractional digits is said so, not as protobuf-es's "Invalid count value: -1";
// - a 415 (a content type the method does not take) says what it takes, with Accept-Post.
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { grpcByHand } from "../helpers/grpc-by-hand.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";

const CAP = 65536;
const server = serverForTests({ toml: principalsToml({ name: "ops", level: "development", permissions: ["admin"] }), args: ["--set", `server.max_request_bytes=${CAP}`] }, { checkExit: false });
const AUTH = { authorization: `Bearer ${tokenOf("ops")}` };
const SCRIPTS = "/scriptengine.v1.ScriptService";

interface ConnectError { code: string; message: string; details?: { type: string; debug?: { reason?: string } }[] }
const reasonOf = (e: ConnectError) => e.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason;

async function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; error: ConnectError; headers: Headers }> {
  const res = await fetch(`http://${server.http}${path}`, { method: "POST", headers, body });
  return { status: res.status, error: (await res.json()) as ConnectError, headers: res.headers };
}

/** A raw gRPC call over h2c to `address`; its grpc-status, message and ErrorInfo reason. */
const grpcCall = (address: string, path: string, body: Buffer, headers: Record<string, string>) =>
  grpcByHand(address, path, body, headers).then(({ status, message, reason }) => ({ status, message, reason }));

/** A binary message that does not decode (a field whose length runs past the end), in a gRPC envelope. */
const TRUNCATED = Buffer.from([0xff, 0xff, 0xff]);
const enveloped = (msg: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, 0, msg.length]), msg]);

describe("a deadline already passed on arrival (0)", () => {
  const zero = { ...AUTH, "connect-timeout-ms": "0" };

  it("a binary body that does not decode is INVALID_ARGUMENT VALIDATION_ERROR, not INTERNAL/500", async () => {
    const a = await post(`${SCRIPTS}/RunScript`, TRUNCATED, { ...zero, "content-type": "application/proto" });
    expect([a.status, a.error.code, reasonOf(a.error)]).toEqual([400, "invalid_argument", "VALIDATION_ERROR"]);
    expect(a.error.message).toMatch(/^the request is not a valid scriptengine\.v1\.RunScriptRequest: /);
  });

  it("JSON with an unknown key keeps its ErrorInfo", async () => {
    const a = await post(`${SCRIPTS}/RunScript`, '{"bogus":1}', { ...zero, "content-type": "application/json" });
    expect([a.status, a.error.code, reasonOf(a.error)]).toEqual([400, "invalid_argument", "VALIDATION_ERROR"]);
  });

  it("a body over server.max_request_bytes is REQUEST_TOO_LARGE in the configuration's words", async () => {
    const a = await post(`${SCRIPTS}/RunScript`, JSON.stringify({ source: "1 //" + "x".repeat(CAP) }), { ...zero, "content-type": "application/json" });
    expect([a.status, a.error.code, reasonOf(a.error)]).toEqual([429, "resource_exhausted", "REQUEST_TOO_LARGE"]);
    expect(a.error.message).toContain(`server.max_request_bytes (${CAP})`);
  });

  it("gRPC on the HTTP port answers as the gRPC door does: INVALID_ARGUMENT with ErrorInfo", async () => {
    const headers = { ...AUTH, "grpc-timeout": "0m" };
    const http = await grpcCall(server.http, `${SCRIPTS}/RunScript`, enveloped(TRUNCATED), headers);
    const grpc = await grpcCall(server.grpc, `${SCRIPTS}/RunScript`, enveloped(TRUNCATED), headers);
    expect(http).toEqual(grpc);
    expect([http.status, http.reason]).toEqual(["3", "VALIDATION_ERROR"]);
  });
});

describe("a Connect GET's query", () => {
  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`http://${server.http}${SCRIPTS}/ListScripts?connect=v1&encoding=json&${query}`, { headers }).then(async (r) => ({ status: r.status, error: (await r.json()) as ConnectError }));

  it.each([["not base64", "base64=1&message=!!!"], ["not UTF-8", "message=%FF"]])("%s: UNAUTHENTICATED without credentials, INVALID_ARGUMENT with them", async (_what, query) => {
    const anonymous = await get(query);
    expect([anonymous.status, reasonOf(anonymous.error)]).toEqual([401, "UNAUTHENTICATED"]);
    const known = await get(query, AUTH);
    expect([known.status, reasonOf(known.error)]).toEqual([400, "VALIDATION_ERROR"]);
  });
});

describe("Connect JSON", () => {
  it("a Duration with more than 9 fractional digits is said so", async () => {
    const a = await post(`${SCRIPTS}/RunScript`, JSON.stringify({ source: "1", context: { timeout: "1.0000000001s" } }), { ...AUTH, "content-type": "application/json" });
    expect([a.status, reasonOf(a.error)]).toEqual([400, "VALIDATION_ERROR"]);
    expect(a.error.message).toContain("at most 9 fractional digits");
    expect(a.error.message).not.toContain("Invalid count value");
  });
});

describe("415: a content type the method does not take", () => {
  it("plain JSON to a streaming method says how to frame it", async () => {
    const a = await post("/scriptengine.v1.EventService/Subscribe", "{}", { ...AUTH, "content-type": "application/json" });
    expect([a.status, a.error.code, reasonOf(a.error)]).toEqual([415, "invalid_argument", "VALIDATION_ERROR"]);
    expect(a.error.message).toContain("application/connect+json");
    expect(a.error.message).toContain("envelope");
    expect(a.headers.get("accept-post")).toContain("application/connect+json");
  });

  it("curl's default form type to a unary method names the JSON type", async () => {
    const a = await post(`${SCRIPTS}/HealthCheck`, "{}", { "content-type": "application/x-www-form-urlencoded" });
    expect([a.status, reasonOf(a.error)]).toEqual([415, "VALIDATION_ERROR"]);
    expect(a.error.message).toContain("application/json");
    expect(a.headers.get("accept-post")?.split(", ")).toContain("application/json");
  });

  it("a GET of a read with no query says what the query carries", async () => {
    const res = await fetch(`http://${server.http}${SCRIPTS}/ListScripts`);
    const error = (await res.json()) as ConnectError;
    expect([res.status, reasonOf(error)]).toEqual([415, "VALIDATION_ERROR"]);
    expect(error.message).toContain("connect=v1&encoding=json&message=");
  });
});
