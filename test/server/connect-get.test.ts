// Reads (NO_SIDE_EFFECTS in the contract) may come as Connect GET on the HTTP port: their answers
// are never cacheable, a message that is not base64 is INVALID_ARGUMENT with ErrorInfo (it was
// INTERNAL), a GET of any other method is 405 with Allow: POST, and with no credentials configured
// a browser's GET from another site (no Origin, Sec-Fetch-Site: cross-site) is refused.
import http from "node:http";
import { describe, expect, it } from "vitest";
import { type TestServer } from "../helpers/server.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const open = serverForTests({}, { checkExit: false });

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; }

function get(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const at = server.http.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const req = http.request({ host: server.http.slice(0, at), port: Number(server.http.slice(at + 1)), path, method: "GET", headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const METRICS = "/scriptengine.v1.ScriptService/GetMetrics?connect=v1&encoding=json&message=%7B%7D";

describe("Connect GET of a read", () => {
  it("is served, and no cache may keep the answer", async () => {
    const a = await get(open, METRICS);
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body).metrics).toBeDefined();
    expect(a.headers["cache-control"]).toBe("no-store");
  });

  it("a message that is not base64 is INVALID_ARGUMENT with ErrorInfo, not INTERNAL", async () => {
    const a = await get(open, "/scriptengine.v1.ScriptService/GetMetrics?connect=v1&encoding=proto&base64=1&message=@@@");
    expect(a.status).toBe(400);
    const body = JSON.parse(a.body) as { code: string; message: string; details?: { type: string }[] };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/not base64/);
    expect(body.details?.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
  });

  it("a GET of a method that is not a read is 405 with Allow: POST and says why", async () => {
    const a = await get(open, "/scriptengine.v1.ScriptService/Stop?connect=v1&encoding=json&message=%7B%7D");
    expect(a.status).toBe(405);
    expect(a.headers.allow).toBe("POST");
    expect(a.body).toMatch(/only reads may be called with GET/);
  });

  it("with no credentials, a browser's GET from another site is refused; one typed in the address bar is served", async () => {
    const crossSite = await get(open, METRICS, { "sec-fetch-site": "cross-site", "sec-fetch-mode": "no-cors", "sec-fetch-dest": "script" });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body).code).toBe("permission_denied");
    expect((await get(open, METRICS, { "sec-fetch-site": "same-site" })).status).toBe(403);
    expect((await get(open, METRICS, { "sec-fetch-site": "none" })).status).toBe(200);
  });
});
