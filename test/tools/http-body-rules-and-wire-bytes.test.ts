// The http tool's request body rules (a string as is, another value as JSON typed so, null as no
// body, none on GET or HEAD) and what it counts as network I/O: the response body as it crossed,
// compressed when it was, not the text fetch decodes it to.
import { createServer, type Server } from "node:http";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpTool } from "../../src/tools/http-tool.ts";
import { ToolError } from "../../src/tools/tool-error.ts";

// Under the read cap once decoded (so read whole, every compressed byte with it), and a bomb past it.
const gzipped = gzipSync(Buffer.alloc(400_000, "a"));
const bomb = gzipSync(Buffer.alloc(10_000_000, "a"));
let origin: Server;
let base = "";

beforeAll(async () => {
  origin = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const path = new URL(req.url!, "http://x").pathname;
      if (path === "/gzip" || path === "/bomb") {
        // Chunked, so no Content-Length tells the compressed size either.
        const body = path === "/gzip" ? gzipped : bomb;
        res.setHeader("content-encoding", "gzip");
        res.write(body.subarray(0, 100));
        res.end(body.subarray(100));
        return;
      }
      res.end(JSON.stringify({ method: req.method, type: req.headers["content-type"] ?? null, body: Buffer.concat(chunks).toString() }));
    });
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
});
afterAll(() => {
  origin?.closeAllConnections();
  origin?.close();
});

const options = { allowList: [], maxResponseBytes: 512 * 1024, timeoutMs: 10_000 };

async function call(args: unknown, reportIo: (n: number) => void = () => {}) {
  return (await httpTool(args as never, "development", options, new AbortController().signal, reportIo)) as { status: number; body: string; truncated: boolean };
}
const echoed = async (args: object) => JSON.parse((await call({ url: `${base}/echo`, ...args })).body) as { method: string; type: string | null; body: string };

describe("http tool: the request body", () => {
  it("sends a string as is, and any other value as JSON typed application/json unless the script typed it", async () => {
    expect(await echoed({ method: "POST", body: "plain" })).toEqual({ method: "POST", type: "text/plain;charset=UTF-8", body: "plain" });
    expect(await echoed({ method: "POST", body: { a: [1, "x"] } })).toEqual({ method: "POST", type: "application/json", body: '{"a":[1,"x"]}' });
    expect(await echoed({ method: "PUT", body: 42 })).toEqual({ method: "PUT", type: "application/json", body: "42" });
    expect(await echoed({ method: "PATCH", body: false })).toEqual({ method: "PATCH", type: "application/json", body: "false" });
    expect(await echoed({ method: "POST", body: [1], headers: { "Content-Type": "application/vnd.x+json" } })).toEqual({ method: "POST", type: "application/vnd.x+json", body: "[1]" });
  });

  it("takes null as no body, as for a header", async () => {
    expect(await echoed({ method: "POST", body: null })).toEqual({ method: "POST", type: null, body: "" });
    expect(await echoed({ method: "GET", body: null })).toEqual({ method: "GET", type: null, body: "" });
  });

  it("refuses a body on GET or HEAD rather than dropping it, before any request is sent", async () => {
    const budget = { used: 0, max: 10 };
    for (const args of [{ body: "payload" }, { method: "get", body: "" }, { method: "HEAD", body: { a: 1 } }]) {
      const err = await httpTool({ url: `${base}/echo`, ...args } as never, "development", options, new AbortController().signal, () => {}, budget).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolError);
      expect((err as Error).message).toMatch(/^http: a (GET|HEAD) request has no body/);
    }
    expect(budget.used).toBe(0);
  });

  it("takes a URL string alone as a GET of it", async () => {
    expect(JSON.parse((await call(`${base}/echo`)).body)).toEqual({ method: "GET", type: null, body: "" });
  });
});

describe("http tool: network I/O", () => {
  it("counts a compressed response body as it crossed, not as decoded", async () => {
    let io = -1;
    const r = await call({ url: `${base}/gzip` }, (n) => (io = n));
    // The script gets the decoded text...
    expect(r).toMatchObject({ status: 200, body: "a".repeat(400_000), truncated: false });
    // ...and the count is the compressed bytes that came (no request body, no headers set).
    expect(io).toBe(gzipped.length);
    // One cut at the cap counts what came before the reading stopped: at most the whole, compressed.
    const cut = await call({ url: `${base}/bomb` }, (n) => (io = n));
    expect(cut).toMatchObject({ status: 200, truncated: true });
    expect(cut.body.length).toBeGreaterThan(500_000);
    expect(io).toBeGreaterThan(0);
    expect(io).toBeLessThanOrEqual(bomb.length);
  });

  it("counts a plain body as it came", async () => {
    let io = -1;
    const r = await call({ url: `${base}/echo` }, (n) => (io = n));
    expect(io).toBe(Buffer.byteLength(r.body));
  });
});
