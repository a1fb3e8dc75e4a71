// A classic script runs inside try/catch (source.ts scriptInTry), so its top-level declarations are
// those of a block. What that changes is a known limit (README), pinned here so that a change to it
// is deliberate; each case says what bare V8 gives instead.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
beforeAll(async () => { srv = await startServer({ args: ["--set", "pool.workers=1"] }); }, 30_000);
afterAll(async () => { await srv.stop(); }, 30_000);

async function valueOf(source: string): Promise<unknown> {
  const res = await fetch(`http://${srv.http}/scriptengine.v1.ScriptService/RunScript`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source }),
  });
  const r = (await res.json()) as { result?: { success?: boolean; returnValue?: unknown } };
  expect(r.result?.success, `${source}: ${JSON.stringify(r).slice(0, 300)}`).toBe(true);
  return r.result?.returnValue;
}

describe("known limits of the top-level try/catch", () => {
  it("a strict script's top-level function is block-scoped, not a property of globalThis (bare: function)", async () => {
    expect(await valueOf("'use strict'; function f(){} [typeof f, typeof globalThis.f]")).toEqual(["function", "undefined"]);
  });

  it("top-level let, const and class are not seen by indirect eval or new Function (bare: 42)", async () => {
    expect(await valueOf("const x = 41; [x + 1, (0, eval)('typeof x'), new Function('return typeof x')()]")).toEqual([42, "undefined", "undefined"]);
  });

  it("a sloppy top-level function is a global only once its statement has run (bare: from the start)", async () => {
    expect(await valueOf("const first = (0, eval)('typeof g'); function g(){} [first, typeof g, typeof globalThis.g]")).toEqual(["undefined", "function", "function"]);
  });

  it("`let undefined` is accepted (bare: SyntaxError, a global that cannot be redeclared)", async () => {
    expect(await valueOf("let undefined = 5; undefined")).toBe(5);
  });

  it("top-level var and sloppy functions are still globals", async () => {
    expect(await valueOf("var v = 1; function h(){} [globalThis.v, typeof globalThis.h, (0, eval)('v')]")).toEqual([1, "function", 1]);
  });
});
