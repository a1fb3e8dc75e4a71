// A request body that stalls part-way: the call's deadline still ends the call (DEADLINE_EXCEEDED
// with ErrorInfo TIMEOUT), on every protocol of the HTTP door over HTTP/1.1 and HTTP/2, and a body
// without a deadline must arrive within server.idle_timeout, or its call is answered and its
// connection (HTTP/1.1) closed.
import { connect as tcpConnect } from "node:net";
import * as http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";

const IDLE_MS = 3000;
const server = serverForTests({ args: ["--set", `server.idle_timeout=${IDLE_MS / 1000}s`] });

const PATH = "/scriptengine.v1.ScriptService/RunScript";
const HEADERS = {
  connect: { "content-type": "application/json", "connect-timeout-ms": "500" },
  grpcweb: { "content-type": "application/grpc-web+proto", "grpc-timeout": "500m" },
  grpc: { "content-type": "application/grpc", "grpc-timeout": "500m", te: "trailers" },
} as const;
type Protocol = keyof typeof HEADERS;
/** The first bytes of a 100-byte body that never comes whole. */
const partial = (p: Protocol) => (p === "connect" ? Buffer.from('{"source":"1') : Buffer.from([0, 0, 0, 0, 100, 0x0a, 0x01]));

interface Answer { ms: number; text: string; closed: boolean }

/** HTTP/1.1, raw: headers, part of the body, then (with `dripMs`) a byte now and then. Resolves on the answer's end. */
function h1(p: Protocol, headers: Record<string, string>, dripMs?: number): Promise<Answer> {
  const [host, port] = [server.http.slice(0, server.http.lastIndexOf(":")), Number(server.http.slice(server.http.lastIndexOf(":") + 1))];
  const t0 = Date.now();
  const s = tcpConnect(port, host);
  s.on("error", () => {});
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  s.write(`POST ${PATH} HTTP/1.1\r\nHost: localhost\r\n${lines}Content-Length: 100\r\n\r\n`);
  s.write(partial(p));
  const drip = dripMs ? setInterval(() => s.writable && s.write(p === "connect" ? "a" : "\x00"), dripMs) : undefined;
  return new Promise((resolve) => {
    let text = "";
    const give = (closed: boolean) => {
      clearInterval(drip);
      s.destroy();
      resolve({ ms: Date.now() - t0, text, closed });
    };
    const cap = setTimeout(() => give(false), 10_000);
    s.on("data", (d) => (text += d.toString("latin1")));
    s.on("close", () => {
      clearTimeout(cap);
      give(true);
    });
  });
}

/** HTTP/2: one stream, part of its body, never ended. Resolves with its status and grpc-status (headers or trailers). */
function h2(p: Protocol, headers: Record<string, string>): Promise<Answer> {
  const t0 = Date.now();
  const session = http2.connect(`http://${server.http}`);
  session.on("error", () => {});
  const st = session.request({ ":method": "POST", ":path": PATH, ...headers });
  st.on("error", () => {});
  st.write(partial(p));
  return new Promise((resolve) => {
    let text = "";
    const give = (closed: boolean) => {
      session.destroy();
      resolve({ ms: Date.now() - t0, text, closed });
    };
    const cap = setTimeout(() => give(false), 10_000);
    st.on("response", (h) => (text += `:status ${h[":status"]} grpc-status ${h["grpc-status"] ?? ""}\n`));
    st.on("data", (d: Buffer) => (text += d.toString("latin1")));
    st.on("trailers", (t) => (text += `grpc-status ${t["grpc-status"]}\n`));
    st.on("close", () => {
      clearTimeout(cap);
      give(true);
    });
  });
}

/** The deadline is 500 ms and the body bound 3 s: an answer by 2 s is the deadline's. */
const BY_DEADLINE_MS = 2000;

describe("a stalled request body on the HTTP door", () => {
  it("Connect over HTTP/1.1: 504 deadline_exceeded with ErrorInfo TIMEOUT once the deadline passes", async () => {
    const a = await h1("connect", HEADERS.connect);
    expect(a.ms).toBeLessThan(BY_DEADLINE_MS);
    expect(a.text).toMatch(/^HTTP\/1\.1 504 /);
    const body = JSON.parse(a.text.slice(a.text.indexOf("{"))) as { code: string; details?: { debug?: { reason?: string } }[] };
    expect(body.code).toBe("deadline_exceeded");
    expect(body.details?.[0]?.debug?.reason).toBe("TIMEOUT");
  });

  it.each(["grpcweb", "grpc"] as const)("%s over HTTP/1.1: grpc-status 4 once the deadline passes", async (p) => {
    const a = await h1(p, HEADERS[p]);
    expect(a.ms).toBeLessThan(BY_DEADLINE_MS);
    expect(a.text).toMatch(/grpc-status: 4/);
  });

  it.each(["connect", "grpcweb", "grpc"] as const)("%s over HTTP/2: answered DEADLINE_EXCEEDED once the deadline passes", async (p) => {
    const a = await h2(p, HEADERS[p]);
    expect(a.ms).toBeLessThan(BY_DEADLINE_MS);
    if (p === "connect") expect(a.text).toMatch(/:status 504[\s\S]*"reason":"TIMEOUT"/);
    else expect(a.text).toMatch(/grpc-status:? 4/);
  });

  it("without a deadline, a trickled body must arrive within server.idle_timeout: answered, then the connection closes", async () => {
    const a = await h1("connect", { "content-type": "application/json" }, 300);
    expect(a.closed).toBe(true);
    expect(a.ms).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(a.ms).toBeLessThan(IDLE_MS + 6000);
    expect(a.text).toMatch(/^HTTP\/1\.1 504 /);
    expect(a.text).toContain("server.idle_timeout");
  });
});
