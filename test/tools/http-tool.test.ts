// The built-in http tool through the real server, against a loopback origin started here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type AddressInfo } from "node:net";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { startServer, type TestServer } from "../helpers/server.ts";
import { makeCerts } from "../helpers/certs.ts";

const MiB = 1024 * 1024;
let server: TestServer;
let origin: Server;
let base = "";

/** The origin's routes: each answers once the request body is in, with what it received. */
const routes: Record<string, (req: IncomingMessage, res: ServerResponse, received: number) => void> = {
  "/nul": (_q, res) => res.end(Buffer.alloc(200_000)),
  "/ff": (_q, res) => res.end(Buffer.alloc(600_000, 0xff)),
  // 1 + 2 × 300,000 bytes: the 512 KiB read cap falls inside an "é".
  "/odd": (_q, res) => res.end("a" + "é".repeat(300_000)),
  "/x-n": (req, res) => res.end(`${req.method} ${req.headers["x-n"]} ${req.headers["x-b"]}`),
  "/headers": (req, res, received) => res.end(JSON.stringify({ received, host: req.headers.host, proxy: req.headers["proxy-authorization"] ?? null })),
  // Never answers: the caller gives up.
  "/hang": () => {},
  // A protocol switch nobody asked for.
  "/switch": (req) => req.socket.end("HTTP/1.1 101 Switching Protocols\r\ncontent-length: 2\r\n\r\nok"),
  "/cookies": (_q, res) => {
    res.setHeader("set-cookie", ["session=abc; Expires=Wed, 21 Oct 2037 07:28:00 GMT", "csrf=xyz"]);
    res.setHeader("x-multi", ["one", "two"]);
    res.end("ok");
  },
};

beforeAll(async () => {
  origin = createHttpServer((req, res) => {
    let received = 0;
    req.on("data", (d: Buffer) => (received += d.length));
    req.on("end", () => (routes[new URL(req.url!, "http://x").pathname] ?? ((_q, r) => r.end(JSON.stringify({ received }))))(req, res, received));
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
  server = await startServer({ toml: `[tools]\nhttp_allow_list = ["127.0.0.1"]\n` });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  origin?.closeAllConnections();
  origin?.close();
});

async function run(source: string, context: object = {}) {
  const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ source, context: { securityContext: { securityLevel: "SECURITY_LEVEL_PRODUCTION" }, availableTools: ["http"], ...context } }),
  });
  const j = (await res.json()) as { result?: { success?: boolean; returnValue: unknown; resourceUsage: Record<string, string> } };
  if (!j.result?.success) throw new Error(`the script failed: ${JSON.stringify(j).slice(0, 500)}`);
  return j.result;
}

describe("http tool: a body that grows past the result cap once JSON", () => {
  // What the script saw: the body summarised, and the result's size as JSON in UTF-8.
  const summary = (path: string, char: string) => `export default async (a, ctx) => {
    const utf8 = (s) => { let n = 0; for (const ch of s) { const c = ch.codePointAt(0); n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; } return n; };
    const h = await ctx.tools.http({ url: "${base}${path}" });
    return { status: h.status, only: [...h.body].every((c) => c === ${JSON.stringify(char)}), length: h.body.length, truncated: h.truncated,
      json: utf8(JSON.stringify(h)), last: h.body.charCodeAt(h.body.length - 1) };
  }`;

  it("comes back cut to the cap, truncated, with status and headers, for control bytes and invalid UTF-8", async () => {
    for (const [path, char, size] of [["/nul", "\u0000", 6], ["/ff", "\ufffd", 3]] as const) {
      const v = (await run(summary(path, char))).returnValue as Record<string, unknown>;
      expect(v).toMatchObject({ status: 200, only: true, truncated: true });
      // The longest body that fits: one more character would not (room is kept for "false",
      // a byte longer than "true").
      expect(v.json as number).toBeLessThanOrEqual(MiB);
      expect((v.json as number) + size + 1).toBeGreaterThan(MiB);
    }
  });

  it("leaves out a character the read cap splits instead of making it U+FFFD", async () => {
    const v = (await run(summary("/odd", "é"))).returnValue as Record<string, unknown>;
    expect(v).toMatchObject({ status: 200, truncated: true, last: "é".charCodeAt(0), length: 1 + 262_143 });
  });
});

describe("http tool: response headers", () => {
  it("keeps every Set-Cookie, as an array; other repeated headers joined", async () => {
    const v = (await run(`export default async (a, ctx) => (await ctx.tools.http({ url: "${base}/cookies" })).headers`)).returnValue as Record<string, unknown>;
    expect(v["set-cookie"]).toEqual(["session=abc; Expires=Wed, 21 Oct 2037 07:28:00 GMT", "csrf=xyz"]);
    expect(v["x-multi"]).toBe("one, two");
  });
});

describe("http tool: networkIoBytes", () => {
  const io = async (source: string, context?: object) => Number((await run(`export default async (a, ctx) => { ${source} }`, context)).resourceUsage.networkIoBytes);
  const answer = (received: number) => JSON.stringify({ received }).length;

  it("counts the request body in UTF-8 bytes, and the request's headers", async () => {
    const body = "é".repeat(100_000);
    expect(await io(`await ctx.tools.http({ url: "${base}/echo", method: "POST", body: ${JSON.stringify(body)} })`)).toBe(200_000 + answer(200_000));
    const big = "a".repeat(8000);
    expect(await io(`await ctx.tools.http({ url: "${base}/echo", headers: { "x-big": "${big}" } })`)).toBe("x-big: \r\n".length + big.length + answer(0));
  });

  it("counts what was sent by a request that timed out", async () => {
    const n = await io(`try { await ctx.tools.http({ url: "${base}/hang", method: "POST", body: "x".repeat(50000) }); } catch {}`, { resourceLimits: { operationTimeout: "0.3s" } });
    expect(n).toBe(50_000);
  });
});

describe("http tool: failures and the headers a script may set", () => {
  it("says why a request failed, naming no address the host resolved to", async () => {
    // A port nothing listens on: this one was just free.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const v = (await run(`export default async (a, ctx) => { try { await ctx.tools.http({ url: "http://localhost:${port}/" }); } catch (e) { return e.message } }`, {
      securityContext: { securityLevel: "SECURITY_LEVEL_DEVELOPMENT" },
    })).returnValue as string;
    expect(v).toMatch(/fetch failed: connection refused \(ECONNREFUSED\)/);
    expect(v).not.toMatch(/127\.0\.0\.1|::1/);
  });

  it("says an answer it cannot take is one, without the client's internals", async () => {
    const v = (await run(`export default async (a, ctx) => { try { await ctx.tools.http({ url: "${base}/switch" }); } catch (e) { return e.message } }`)).returnValue as string;
    expect(v).toMatch(/fetch failed: an answer the HTTP client cannot take/);
    expect(v).not.toMatch(/falsy|assert\(/);
  });

  it("says a certificate is not trusted without the advice Node gives its own command line", async () => {
    const certs = makeCerts();
    const tls = createHttpsServer({ cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) }, (_q, res) => res.end("ok"));
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    try {
      const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
      const v = (await run(`export default async (a, ctx) => { try { await ctx.tools.http({ url: "${url}" }); } catch (e) { return e.message } }`)).returnValue as string;
      expect(v).toMatch(/fetch failed: unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/);
    } finally {
      tls.closeAllConnections();
      tls.close();
    }
  });

  it("refuses a method or headers of another type, and sends number and boolean header values", async () => {
    const v = (await run(`export default async (a, ctx) => {
      const out = [];
      for (const extra of [{ method: 5 }, { method: ["POST"] }, { headers: [["x-n", "1"]] }, { headers: "x-n: 1" }, { headers: { "x-n": { a: 1 } } }, { headers: { "x-n": 7, "x-b": false }, method: null }]) {
        try { out.push((await ctx.tools.http({ url: "${base}/x-n", ...extra })).body); } catch (e) { out.push(e.message); }
      }
      return out;
    }`)).returnValue as string[];
    expect(v.slice(0, 5).map((m) => m.replace('tool "http" failed: http: ', ""))).toEqual([
      "method must be a string",
      "method must be a string",
      "headers must be an object of names and values",
      "headers must be an object of names and values",
      'header "x-n": the value must be a string, number or boolean',
    ]);
    expect(v[5]).toBe("GET 7 false");
  });

  it("drops the headers that frame the request: a short Content-Length no longer stalls it", async () => {
    const framing = { "Content-Length": "5", "Transfer-Encoding": "chunked", Connection: "close", "Keep-Alive": "5", Upgrade: "h2c", Expect: "100-continue", TE: "trailers", Trailer: "x", Host: "evil.test", "Proxy-Authorization": "Basic eA==" };
    const t0 = performance.now();
    const v = (await run(`export default async (a, ctx) => {
      const out = {};
      for (const [k, v] of Object.entries(${JSON.stringify(framing)})) {
        try { out[k] = JSON.parse((await ctx.tools.http({ url: "${base}/headers", method: "POST", headers: { [k]: v }, body: "abcdeGET /smuggled HTTP/1.1\\r\\n\\r\\n" })).body); } catch (e) { out[k] = e.message; }
      }
      return out;
    }`, { resourceLimits: { operationTimeout: "2s" } })).returnValue as Record<string, unknown>;
    const seen = { received: 31, host: base.slice("http://".length), proxy: null };
    expect(v).toEqual(Object.fromEntries(Object.keys(framing).map((k) => [k, seen])));
    expect(performance.now() - t0).toBeLessThan(5000);
  }, 30_000);
});
