// Connect JSON whose bytes are not UTF-8 (a Latin-1 file sent with curl --data-binary) is refused,
// INVALID_ARGUMENT VALIDATION_ERROR as in the binary encodings, not decoded with U+FFFD in place
// of each bad byte and then run or stored as if the caller had sent that.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();

interface Body { code?: string; message?: string; details?: { debug?: { reason?: string; metadata?: Record<string, string> } }[]; result?: { returnValue?: unknown } }

const post = async (method: string, body: Buffer, headers: Record<string, string> = {}) => {
  const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/${method}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, body: (await res.json()) as Body };
};

/** `'café'` with é as one Latin-1 byte (0xE9): not UTF-8. */
const latin1 = (json: string) => Buffer.from(json.replace("é", "\u00e9"), "latin1");

function expectRefused(a: { status: number; body: Body }): void {
  expect([a.status, a.body.code]).toEqual([400, "invalid_argument"]);
  expect(a.body.details?.[0]?.debug).toMatchObject({ reason: "VALIDATION_ERROR", metadata: { field: "request" } });
}

describe("Connect JSON that is not UTF-8", () => {
  it("is refused, not run with U+FFFD", async () => {
    expectRefused(await post("RunScript", latin1(`{"source":"'café'.charCodeAt(3)"}`)));
    const utf8 = await post("RunScript", Buffer.from(`{"source":"'café'.charCodeAt(3)"}`));
    expect(utf8.body.result?.returnValue).toBe(0xe9);
  });

  it("is refused, not stored: the script does not exist afterwards", async () => {
    expectRefused(await post("CompileScript", latin1(`{"source":"export default () => 'café'","context":{"scriptId":"latin1"}}`)));
    const get = await post("GetScript", Buffer.from('{"scriptId":"latin1"}'));
    expect(get.body.code).toBe("not_found");
  });

  it("is refused when gzip-compressed too", async () => {
    expectRefused(await post("RunScript", gzipSync(latin1(`{"source":"'café'"}`)), { "content-encoding": "gzip" }));
  });

  it("is refused in a Connect GET's message", async () => {
    const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/GetScript?connect=v1&encoding=json&message=%7B%22scriptId%22%3A%22caf%E9%22%7D`);
    const body = (await res.json()) as Body;
    expectRefused({ status: res.status, body });
    expect(body.message).toContain("UTF-8");
  });

  it("is refused when the parameter's own name is percent-encoded (%6Dessage is message)", async () => {
    // ListTools takes any tag: read with U+FFFD, it would answer 200 with no tools.
    const res = await fetch(`http://${server.http}/scriptengine.v1.ToolService/ListTools?connect=v1&encoding=json&%6Dessage=%7B%22tag%22%3A%22caf%E9%22%7D`);
    const body = (await res.json()) as Body;
    expectRefused({ status: res.status, body });
    expect(body.message).toContain("UTF-8");
  });
});

describe("a Connect GET's message with a lone '%'", () => {
  it("is read as URLSearchParams reads it (a literal '%'), not refused as not UTF-8", async () => {
    // `{"tag":"50%"}`: the '%' before `%22` starts no escape, so it is the character itself.
    const res = await fetch(`http://${server.http}/scriptengine.v1.ToolService/ListTools?connect=v1&encoding=json&message=%7B%22tag%22%3A%2250%%22%7D`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
  });
});
