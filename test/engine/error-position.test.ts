// An error's line and column: V8 prints the origin of eval and new Function code (`eval at f
// (file:L:C)`) without the line offset a wrapped script (classic in try/catch, or a module rewritten
// as a script) is compiled at, so such errors reported a line one too far; and the position was taken
// from anywhere in the stack, the message's text included ("bad value at adhoc:99:7" gave line 99).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
beforeAll(async () => { srv = await startServer({ args: ["--set", "pool.workers=1"] }); }, 30_000);
afterAll(async () => { await srv.stop(); }, 30_000);

interface ScriptError { name?: string; message?: string; stack?: string; line?: number; column?: number }
interface Answer { code?: string; result?: { error?: ScriptError } }
async function thrown(source: string): Promise<ScriptError> {
  const res = await fetch(`http://${srv.http}/scriptengine.v1.ScriptService/RunScript`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source, compilation: { name: "pos.js" } }),
  });
  const r = (await res.json()) as Answer;
  expect(r.result?.error, JSON.stringify(r).slice(0, 300)).toBeDefined();
  return r.result!.error!;
}

describe("an error thrown in eval or new Function code", () => {
  it("is placed on the script's line (classic script)", async () => {
    const a = await thrown("(0, eval)('throw new Error(\"x\")')");
    expect(a, a.stack).toMatchObject({ message: "x", line: 1, column: 10 });
    expect(a.stack).toContain("eval at <anonymous> (pos.js:1:10)");
    const b = await thrown("\nnew Function('throw new Error(\"y\")')()");
    expect(b, b.stack).toMatchObject({ message: "y", line: 2 });
    expect(b.stack).toContain("eval at <anonymous> (pos.js:2:1)");
    const c = await thrown("1;\n\neval('1;\\nnull.x')");
    expect(c, c.stack).toMatchObject({ name: "TypeError", line: 3 });
    // Called from no frame of the script: the origin is its only position.
    const d = await thrown("\n\nPromise.resolve().then(new Function('throw new Error(\"t\")'))");
    expect(d, d.stack).toMatchObject({ message: "t", line: 3, column: 24 });
  });

  it("is placed on the script's line (module run as a script)", async () => {
    const m = await thrown("const x = 1;\nexport default () => (0, eval)('throw new Error(\"m\")')");
    expect(m, m.stack).toMatchObject({ message: "m", line: 2, column: 31 });
    expect(m.stack).toContain("eval at default (pos.js:2:31)");
    const top = await thrown("const x = 1;\n\nnew Function('throw new Error(\"top\")')();\nexport default () => x");
    expect(top, top.stack).toMatchObject({ message: "top", line: 3 });
    expect(top.stack).toContain("(pos.js:3:1)");
  });

  it("is placed on the script's line (script run unwrapped)", async () => {
    const u = await thrown("var f = 1; function f(){}\n(0, eval)('throw new Error(\"u\")')");
    expect(u, u.stack).toMatchObject({ message: "u", line: 2, column: 10 });
    expect(u.stack).toContain("eval at <anonymous> (pos.js:2:10)");
  });
});

describe("an error's position is where it was thrown, never text of its message", () => {
  it("a message naming a position", async () => {
    const e = await thrown('throw new Error("bad value at pos.js:99:7")');
    expect(e, e.stack).toMatchObject({ message: "bad value at pos.js:99:7", line: 1, column: 7 });
  });

  it("a message quoting a frame, or another error's stack", async () => {
    const e = await thrown('\nthrow new Error("m\\n    at fake (pos.js:50:5)")');
    expect(e, e.stack).toMatchObject({ line: 2, column: 7 });
    expect(e.stack).toBe("Error: m\n    at fake (pos.js:50:5)\n    at pos.js:2:7");
    const inner = await thrown('function g() { throw new Error("inner") }\nlet s; try { g() } catch (x) { s = x.stack }\n\nthrow new TypeError("failed: " + s)');
    expect(inner, inner.stack).toMatchObject({ name: "TypeError", line: 4, column: 7 });
  });

  it("inside main, and in a script run unwrapped", async () => {
    const m = await thrown('export default function main() {\n  throw new Error("at pos.js:9:9")\n}');
    expect(m, m.stack).toMatchObject({ line: 2, column: 9 });
    const u = await thrown('var f = 1; function f(){}\nthrow new Error("at pos.js:9:9\\n    at pos.js:8:8")');
    expect(u, u.stack).toMatchObject({ line: 2, column: 7 });
  });
});
