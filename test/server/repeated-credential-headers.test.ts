// A credential header sent twice (a gateway appending its own `authorization` to the client's) is
// refused when the two carry different tokens, on both doors and over HTTP/1.1 and HTTP/2 alike:
// Node keeps only the first `authorization` of a request, so the first used to win silently, and
// two `x-api-key`s were "invalid credentials". The same token twice is one credential. SDK clients
// cannot send a header twice, so the requests are written by hand.
import * as http from "node:http";
import * as http2 from "node:http2";
import { expect, it } from "vitest";
import { principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const ADMIN = tokenOf("ops");
const READER = tokenOf("reader");

const server = serverForTests({ toml: principalsToml({ name: "ops", level: "development", permissions: ["admin"] }, { name: "reader" }) });

/** Node refuses to send a single-value header (authorization) twice unless told not to be strict (an option its types omit). */
const TWICE_ALLOWED = { strictSingleValueFields: false } as http2.ClientSessionOptions;

/** Header name, value, name, value... */
type RawHeaders = string[];
/** "OK", or the refusal's status and message. */
type Outcome = string;

/** GetConfig (admin-free, needs a principal) over gRPC by hand, on the gRPC door. */
function grpcDoor(headers: RawHeaders): Promise<Outcome> {
  const session = http2.connect(`http://${server.grpc}`, TWICE_ALLOWED);
  session.on("error", () => {});
  return new Promise<Outcome>((resolve) => {
    let status = "";
    let message = "";
    const read = (h: http2.IncomingHttpHeaders) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) message = decodeURIComponent(String(h["grpc-message"]));
    };
    const st = session.request([":method", "POST", ":path", "/scriptengine.v1.ScriptService/GetConfig", "content-type", "application/grpc", "te", "trailers", ...headers] as never);
    st.on("response", read);
    st.on("trailers", read);
    st.on("data", () => {});
    st.on("error", () => {});
    st.on("close", () => resolve(status === "0" ? "OK" : `grpc-status ${status}: ${message}`));
    st.end(Buffer.alloc(5)); // an empty GetConfigRequest
  }).finally(() => session.destroy());
}

/** The Connect answer: "OK" for 200, else its HTTP status and message. */
const connectOutcome = (status: number, body: string): Outcome => (status === 200 ? "OK" : `HTTP ${status}: ${(JSON.parse(body) as { message?: string }).message}`);

/** GetConfig as Connect JSON on the HTTP door, over HTTP/1.1. */
function connectH1(headers: RawHeaders): Promise<Outcome> {
  const [host, port] = [server.http.slice(0, server.http.lastIndexOf(":")), Number(server.http.slice(server.http.lastIndexOf(":") + 1))];
  const body = "{}";
  return new Promise<Outcome>((resolve, reject) => {
    const req = http.request(
      { host, port, method: "POST", path: "/scriptengine.v1.ScriptService/GetConfig", agent: false, headers: ["host", server.http, "content-type", "application/json", "content-length", String(body.length), ...headers] },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve(connectOutcome(res.statusCode!, text)));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** GetConfig as Connect JSON on the HTTP door, over HTTP/2 (h2c). */
function connectH2(headers: RawHeaders): Promise<Outcome> {
  const session = http2.connect(`http://${server.http}`, TWICE_ALLOWED);
  session.on("error", () => {});
  return new Promise<Outcome>((resolve, reject) => {
    let status = 0;
    let text = "";
    const st = session.request([":method", "POST", ":path", "/scriptengine.v1.ScriptService/GetConfig", "content-type", "application/json", ...headers] as never);
    st.on("response", (h) => (status = Number(h[":status"])));
    st.setEncoding("utf8");
    st.on("data", (d: string) => (text += d));
    st.on("error", reject);
    st.on("end", () => resolve(connectOutcome(status, text)));
    st.end("{}");
  }).finally(() => session.destroy());
}

const DOORS = { "grpc door (h2)": grpcDoor, "http door, HTTP/1.1": connectH1, "http door, HTTP/2": connectH2 };

const unauthenticated = (door: string, message: string) => (door.startsWith("grpc") ? `grpc-status 16: ${message}` : `HTTP 401: ${message}`);

it("refuses two authorization headers with different tokens, in either order", async () => {
  const conflict = "conflicting credentials: repeated 'authorization: Bearer' headers carry different tokens; send one of them";
  for (const [door, call] of Object.entries(DOORS)) {
    for (const [first, second] of [[ADMIN, READER], [READER, ADMIN]]) {
      expect([door, await call(["authorization", `Bearer ${first}`, "authorization", `Bearer ${second}`])]).toEqual([door, unauthenticated(door, conflict)]);
    }
    // An unknown token appended to a valid one is the same conflict.
    expect([door, await call(["authorization", `Bearer ${READER}`, "authorization", "Bearer not-a-token-0123456789"])]).toEqual([door, unauthenticated(door, conflict)]);
  }
});

it("refuses two x-api-key headers with different tokens as conflicting too", async () => {
  const conflict = "conflicting credentials: repeated 'x-api-key' headers carry different tokens; send one of them";
  for (const [door, call] of Object.entries(DOORS)) {
    expect([door, await call(["x-api-key", READER, "x-api-key", ADMIN])]).toEqual([door, unauthenticated(door, conflict)]);
  }
});

it("takes a token repeated as one credential, and reads a Bearer beside an authorization of another scheme", async () => {
  for (const [door, call] of Object.entries(DOORS)) {
    expect([door, await call(["authorization", `Bearer ${READER}`, "authorization", `bearer  ${READER}`])]).toEqual([door, "OK"]);
    expect([door, await call(["x-api-key", READER, "x-api-key", READER, "authorization", `Bearer ${READER}`])]).toEqual([door, "OK"]);
    expect([door, await call(["authorization", "Basic dXNlcjpwYXNz", "authorization", `Bearer ${READER}`])]).toEqual([door, "OK"]);
    // A token may hold a comma (no whitespace): one header, one token, not two.
    expect([door, await call(["authorization", `Bearer ${READER},x`])]).toEqual([door, unauthenticated(door, "invalid credentials")]);
  }
});

it("takes a tab between the scheme and the token on every door (grpc-js dropped such a header: no credentials)", async () => {
  for (const [door, call] of Object.entries(DOORS)) {
    expect([door, await call(["authorization", `Bearer\t${READER}`])]).toEqual([door, "OK"]);
    expect([door, await call(["authorization", `Bearer\tnot-a-token-0123456789`])]).toEqual([door, unauthenticated(door, "invalid credentials")]);
  }
});
