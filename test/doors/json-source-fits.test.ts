// A source of max_source_size set alone must travel on every documented transport, Connect JSON
// included: the request cap that follows it counts JSON text, where quotes, backslashes and
// newlines take two bytes. (It followed with 64 KiB of room only: 429 REQUEST_TOO_LARGE over JSON
// for a source gRPC took.)
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";

// Past half the default request cap (4 MiB): escaped, such a source is larger than that cap.
const MAX_SOURCE = 3 * 1024 * 1024;
const server = serverForTests({ args: ["--set", `max_source_size=${MAX_SOURCE}`, "--set", "pool.workers=1"] });

describe("max_source_size set alone", () => {
  it("a source of exactly that size, every character of it escaped in JSON, runs over Connect JSON", async () => {
    const head = "42 //";
    const source = head + '"\\'.repeat((MAX_SOURCE - head.length) / 2) + (MAX_SOURCE % 2 === head.length % 2 ? "" : '"');
    expect(Buffer.byteLength(source)).toBe(MAX_SOURCE);
    const body = JSON.stringify({ source });
    expect(body.length).toBeGreaterThan(4 * 1024 * 1024);
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: { returnValue: number } }).result.returnValue).toBe(42);
  });

  it("one byte over it is still refused, by the source limit", async () => {
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source: "42 //" + "x".repeat(MAX_SOURCE - 4) }) });
    expect(res.status).toBe(400);
  });
});
