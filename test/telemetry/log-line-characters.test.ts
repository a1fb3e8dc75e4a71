// A log line stays one line, and text inert, whatever a caller's text holds: JSON escapes "\n" and the
// C0 controls, but wrote U+2028, U+2029 and NEL raw (Python's str.splitlines and some log shippers cut
// a line there), the other C1 controls (U+009B begins a terminal escape sequence) and bidi controls
// (a viewer reorders the text around them). They are written as \u escapes now, read back the same.
import { expect, it } from "vitest";
import { createScriptEngineClient } from "../../clients/ts/src/index.ts";
import { startServer } from "../helpers/server.ts";

const REASON = 'maintenance\u2028{"level":"error","msg":"forged"}\u2029\u0085\u009b31m\u202eevil\u2066\u007f';

it("a Stop reason full of line separators and controls is logged on one line, escaped, and read back whole", async () => {
  const server = await startServer({ args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false"] });
  const client = createScriptEngineClient({ address: server.grpc, retry: false });
  try {
    await client.scripts.stop({ reason: REASON });
    await client.scripts.start({});
    expect(await server.stop()).toBe(0);
    const text = server.logs();
    expect(text).not.toMatch(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    const lines = text.split("\n").filter(Boolean);
    expect(text.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/).filter(Boolean)).toEqual(lines); // splitlines cuts nothing more
    const stopped = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "engine stopped on request");
    expect(stopped.map((l) => l.reason)).toEqual([REASON]);
  } finally {
    client.close();
    await server.stop("SIGKILL");
  }
}, 60_000);
