// A 405 on the HTTP door carries the Allow header RFC 9110 requires: GET, POST for a read
// (NO_SIDE_EFFECTS), POST for any other method; a CORS preflight is still answered as one.
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "server.cors_origins=https://app.example.com"] });

const call = (method: string, rpc: string, headers: Record<string, string> = {}) =>
  fetch(`http://${server.http}/scriptengine.v1.ScriptService/${rpc}`, { method, headers: { "content-type": "application/json", ...headers }, body: method === "GET" || method === "OPTIONS" ? undefined : "{}" });

describe("405 on the HTTP door", () => {
  it.each(["PUT", "DELETE", "PATCH"])("%s of a read: Allow: GET, POST", async (method) => {
    const res = await call(method, "GetConfig");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, POST");
  });

  it("PUT of a write: Allow: POST; GET of it too", async () => {
    const put = await call("PUT", "RunScript");
    expect([put.status, put.headers.get("allow")]).toEqual([405, "POST"]);
    const get = await call("GET", "RunScript");
    expect([get.status, get.headers.get("allow")]).toEqual([405, "POST"]);
  });

  it("a 405 to an allowed origin carries its CORS headers, so the page can read why", async () => {
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, { headers: { origin: "https://app.example.com" } });
    expect([res.status, res.headers.get("access-control-allow-origin")]).toEqual([405, "https://app.example.com"]);
  });

  it("a CORS preflight from an allowed origin is still answered 204", async () => {
    const res = await call("OPTIONS", "RunScript", { origin: "https://app.example.com", "access-control-request-method": "POST" });
    expect(res.status).toBe(204);
  });

  it("POST and a read's GET are still served", async () => {
    expect((await call("POST", "GetConfig")).status).toBe(200);
    expect((await fetch(`http://${server.http}/scriptengine.v1.ScriptService/GetConfig?connect=v1&encoding=json&message=%7B%7D`)).status).toBe(200);
  });
});
