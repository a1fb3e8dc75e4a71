// server.cors_origins: browsers on a configured origin may call the HTTP door (preflight, then the
// call with the headers it may read); other origins get no CORS headers. Without the setting, none.
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "server.cors_origins=https://app.example.com,https://admin.example.com"] });

const url = () => `http://${server.http}/scriptengine.v1.ScriptService/RunScript`;
const preflight = (origin: string) =>
  fetch(url(), { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization,connect-protocol-version" } });

describe("CORS on the HTTP door", () => {
  it("answers a preflight from an allowed origin with Connect's methods and headers, credentials included", async () => {
    const res = await preflight("https://app.example.com");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const headers = res.headers.get("access-control-allow-headers")!.toLowerCase().split(/,\s*/);
    expect(headers).toEqual(expect.arrayContaining(["content-type", "connect-protocol-version", "authorization", "x-api-key", "x-grpc-web"]));
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("a call from an allowed origin can read the protocol's headers", async () => {
    const res = await fetch(url(), { method: "POST", headers: { origin: "https://app.example.com", "content-type": "application/json" }, body: JSON.stringify({ source: "20 + 22" }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { returnValue: number } }).result.returnValue).toBe(42);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-expose-headers")?.toLowerCase()).toContain("grpc-status");
  });

  it("another origin gets no CORS headers (the browser keeps its script out)", async () => {
    const res = await preflight("https://evil.example.net");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const call = await fetch(url(), { method: "POST", headers: { origin: "https://evil.example.net", "content-type": "application/json" }, body: JSON.stringify({ source: "1" }) });
    expect(call.headers.get("access-control-allow-origin")).toBeNull();
  });
});
