// A classic script runs inside try/catch, its "use strict" directive repeated before the block when
// source.ts strictPrologue finds one. It missed a directive after an HTML-like comment (`<!--`
// anywhere, `-->` first on a line) and after a string with a line continuation in CRLF: such a
// script ran sloppy. Each case here is run on the server and, as the oracle, bare on V8 (node:vm).
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
beforeAll(async () => { srv = await startServer({ args: ["--set", "pool.workers=1"] }); }, 30_000);
afterAll(async () => { await srv.stop(); }, 30_000);

interface Answer { code?: string; message?: string; result?: { returnValue?: unknown; error?: { name?: string } } }
async function runScript(source: string): Promise<Answer> {
  const res = await fetch(`http://${srv.http}/scriptengine.v1.ScriptService/RunScript`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ source }),
  });
  return (await res.json()) as Answer;
}

/** The script's last line: whether it runs strict. */
const PROBE = "\n;(function () { return this === undefined })()";
const PROLOGUES = [
  "'use strict';", "'use strict'", "'a'; 'use strict';", "", "'a' + 'use strict';",
  // HTML-like comments: an open comment anywhere, a close comment first on a line (blanks and comments before it).
  "<!-- c\n'use strict';", "<!--\n'use strict'", "'a' <!-- c\n'use strict';", "'use strict' <!-- c", "'a' /* c */ <!-- d\n'use strict'",
  "--> c\n'use strict';", "  /* c */ --> c\n'use strict';", "/*\n*/ --> c\n'use strict';", "'a'\n--> c\n'use strict';",
  "'a'\r\n  --> c\r\n'use strict';", "'a'\u2028--> c\u2029'use strict';", "'use strict'\n--> c", "'a'; --> c\n'use strict';",
  "1\n--> c\n'use strict';", "'a' --> c\n'use strict';", "'a'\n-- > c\n'use strict';",
  // Line continuations inside an earlier directive.
  "'a\\\r\nb'; 'use strict';", "\"a\\\r\nb\"\r\n'use strict'", "'a\\\nb'; 'use strict';", "'a\\\rb'; 'use strict';",
  "'a\\\u2028b'; 'use strict';", "'a\\\u2029b'; 'use strict';", "'a\u2028b'; 'use strict';", "'a\\\r\n'\n'use strict'",
  "'a\\\r\n\nb'; 'use strict';", "'use\\\r\n strict';", "'use\\x20strict';",
];

describe("a script's strictness is V8's own", () => {
  it.each(PROLOGUES.map((p) => [JSON.stringify(p), p]))("%s", async (_, prologue) => {
    const source = prologue + PROBE;
    let expected: unknown;
    try { expected = runInNewContext(source); } catch (e) { expected = (e as Error).name; }
    const r = await runScript(source);
    const got = r.code === "invalid_argument" ? "SyntaxError" : r.result?.error ? r.result.error.name : r.result?.returnValue;
    expect(got, JSON.stringify(r).slice(0, 300)).toBe(expected);
  });
});
