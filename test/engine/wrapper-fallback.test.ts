// A classic script runs inside try/catch (source.ts scriptInTry), where a function declaration is
// lexical: `var f` beside `function f`, or two strict functions named f, is an early error there but
// valid at a script's top level, and such scripts were refused as COMPILATION_ERROR. A source that
// compiles alone now runs alone (unwrapped, positions unshifted), cached as such.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
beforeAll(async () => { srv = await startServer({ args: ["--set", "pool.workers=1"] }); }, 30_000);
afterAll(async () => { await srv.stop(); }, 30_000);

interface Answer {
  code?: string; message?: string; details?: unknown[];
  script?: { scriptId?: string };
  result?: { success: boolean; returnValue?: unknown; error?: { name?: string; message?: string; stack?: string; line?: number; column?: number } };
}
async function rpc(method: string, body: unknown): Promise<Answer> {
  const res = await fetch(`http://${srv.http}/scriptengine.v1.ScriptService/${method}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return (await res.json()) as Answer;
}
const show = (r: Answer) => JSON.stringify(r).slice(0, 300);

const VALID: [string, unknown][] = [
  ["var f = 1; function f(){} f", 1],
  ["function f(){} var f; typeof f", "function"],
  ["'use strict'; function f(){ return 1 } function f(){ return 2 } f()", 2],
  ["#!/usr/bin/env node\nvar f = 1; function f(){} f", 1],
];

describe("a script valid alone but not inside the wrapper's block", () => {
  it("runs, in JavaScript and TypeScript", async () => {
    for (const [source, value] of VALID) {
      for (const language of ["SCRIPT_LANGUAGE_JAVASCRIPT", "SCRIPT_LANGUAGE_TYPESCRIPT"]) {
        const r = await rpc("RunScript", { source, compilation: { language } });
        expect(r.result?.returnValue, `${language} ${source}: ${show(r)}`).toEqual(value);
      }
    }
  });

  it("compiles, and its stored script runs again and again (cached unwrapped)", async () => {
    let n = 0;
    for (const [source, value] of VALID) {
      const scriptId = `fallback-${n++}`;
      const c = await rpc("CompileScript", { source, context: { scriptId } });
      expect(c.code, `${source}: ${show(c)}`).toBeUndefined();
      for (let i = 0; i < 3; i++) {
        const r = await rpc("ExecuteScript", { scriptId });
        expect(r.result?.returnValue, `${source} #${i}: ${show(r)}`).toEqual(value);
      }
    }
  });

  it("reports an error's own line and column, run or stored", async () => {
    const source = 'var f = 1; function f(){}\n\n  throw new RangeError("bad " + f);';
    const check = (r: Answer, what: string) => {
      expect(r.result?.error, `${what}: ${show(r)}`).toMatchObject({ name: "RangeError", message: "bad 1", line: 3, column: 9 });
      expect(r.result?.error?.stack, what).toMatch(/^RangeError: bad 1\n\s+at pos\.js:3:9$/);
    };
    for (let i = 0; i < 2; i++) check(await rpc("RunScript", { source, compilation: { name: "pos.js" } }), `run #${i}`);
    const c = await rpc("CompileScript", { source, context: { scriptId: "fallback-pos", name: "pos.js" } });
    expect(c.code, show(c)).toBeUndefined();
    for (let i = 0; i < 3; i++) check(await rpc("ExecuteScript", { scriptId: "fallback-pos" }), `stored #${i}`);
  });

  it("a syntax error in such a source keeps V8's own message and position", async () => {
    const r = await rpc("RunScript", { source: "var f = 1; function f(){}\nlet a; let a;" });
    expect(r.code).toBe("invalid_argument");
    expect(r.message).toMatch(/Identifier 'a' has already been declared/);
    expect(JSON.stringify(r.details)).toContain('"line":"2"');
  });
});
