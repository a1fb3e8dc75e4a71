// `Expect: 100-continue` on the HTTP door: a body whose Content-Length is over
// server.max_request_bytes is refused at once (429 REQUEST_TOO_LARGE), never invited with
// 100 Continue; a body that fits is invited and served.
import { connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";

const CAP = 65536;
let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: ["--set", `server.max_request_bytes=${CAP}`] });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

/** Sends the headers; once the server answers (anything), sends `body` when given; resolves what came within `ms`. */
function call(length: number, body: string | undefined, ms: number): Promise<string> {
  const at = server.http.lastIndexOf(":");
  const s = tcpConnect(Number(server.http.slice(at + 1)), server.http.slice(0, at));
  s.on("error", () => {});
  s.write(`POST /scriptengine.v1.ScriptService/RunScript HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`);
  let got = "";
  s.on("data", (d) => {
    const first = got === "";
    got += d.toString("latin1");
    if (first && body !== undefined) s.write(body);
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
});
