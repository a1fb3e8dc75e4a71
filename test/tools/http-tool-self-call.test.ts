// The http tool against its own engine's HTTP door: without credentials configured, every caller
// there is the local principal (any level, admin), so a script allowed to reach loopback could run
// a Development script, or stop the server, through it. The door refuses the tool's requests.
import { expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";


const server = serverForTests({ toml: `[tools]\nhttp_allow_list = ["127.0.0.1"]\n` }, { checkExit: false, timeout: 60_000 });

const runScript = (source: string, level: string, tools: string[]) =>
  JSON.stringify({ source, context: { securityContext: { securityLevel: `SECURITY_LEVEL_${level}` }, availableTools: tools } });

it("refuses a Production script's call to its own engine, even with the marking header set by the script", async () => {
  const inner = runScript("export default () => 'ran at development'", "DEVELOPMENT", ["fs"]);
  const source = `export default async (a, ctx) => {
    const out = [];
    for (const headers of [{ "content-type": "application/json" }, { "content-type": "application/json", "X-ScriptEngine-Http-Tool": "" }]) {
      const r = await ctx.tools.http({ url: "http://${server.http}/scriptengine.v1.ScriptService/RunScript", method: "POST", headers, body: ${JSON.stringify(inner)} });
      out.push({ status: r.status, body: JSON.parse(r.body) });
    }
    return out;
  }`;
  const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: runScript(source, "PRODUCTION", ["http"]),
  });
  const j = (await res.json()) as { result?: { success?: boolean; returnValue?: { status: number; body: { code?: string; message?: string; result?: unknown } }[] } };
  expect(j.result?.success).toBe(true);
  for (const answer of j.result!.returnValue!) {
    expect(answer.status).toBe(403);
    expect(answer.body.result).toBeUndefined();
    expect(answer.body).toMatchObject({ code: "permission_denied" });
    expect(answer.body.message).toMatch(/a script's, through the http tool/);
  }
  // The same call from a local client is served.
  const direct = (await (await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, { method: "POST", headers: { "content-type": "application/json" }, body: inner })).json()) as { result?: { returnValue?: unknown } };
  expect(direct.result?.returnValue).toBe("ran at development");
}, 30_000);

it("answers a path that is no RPC 403 for the tool's request, saying why", async () => {
  const source = `export default async (a, ctx) => { const r = await ctx.tools.http({ url: "http://${server.http}/nothing-here" }); return [r.status, r.body] }`;
  const res = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/RunScript`, { method: "POST", headers: { "content-type": "application/json" }, body: runScript(source, "PRODUCTION", ["http"]) });
  // It is a local client's request: refused as a script's (it read "not from a local client").
  expect(((await res.json()) as { result?: { returnValue?: unknown } }).result?.returnValue).toEqual([
    403, "forbidden: no credentials are configured: only local clients may call, and this request is a script's, through the http tool\n",
  ]);
}, 30_000);
