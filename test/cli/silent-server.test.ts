// A server that takes the connection but never answers (frozen, a wedged proxy): `run`/`exec`
// without --timeout waited for hours (their deadline is the server's limits'), and the one-shot
// commands ended after 15 s with exit 6, "a limit". Both now end as not serving, exit 3, after
// SE_ANSWER_WAIT_MS (15 s by default; short here).
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, scriptsDir } from "./helpers.ts";

let silent: Server;
const sockets = new Set<Socket>();
let address = "";
beforeAll(async () => {
  // Accepts, reads, never writes a byte: no HTTP/2 SETTINGS, no HTTP/1.1 response.
  silent = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

const WAIT = { SE_ANSWER_WAIT_MS: "500" };

describe("against a server that never answers", () => {
  it.each(["grpc-js", "connect", "grpc-web"])("run without --timeout ends with exit 3 over %s, naming the wait and how to change it", async (transport) => {
    const job = join(scriptsDir("silent-", { "job.js": "6 * 7" }), "job.js");
    const r = await cli(["-a", address, "--transport", transport, "run", job], { env: WAIT, timeoutMs: 15_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`^scriptengine: DEADLINE_EXCEEDED: no answer from ${address}: a health check went unanswered for 500 ms .*SE_ANSWER_WAIT_MS`));
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("exec without --timeout too", async () => {
    const r = await cli(["-a", address, "exec", "nightly"], { env: WAIT, timeoutMs: 15_000 });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no answer from .*: a health check went unanswered/);
  });

  it.each([["health"], ["metrics"], ["services", "list"]])("%s is not serving (3), not a limit (6)", async (...cmd) => {
    const r = await cli(["-a", address, ...cmd], { env: WAIT, timeoutMs: 15_000 });
    expect([r.code, r.stderr]).toEqual([3, `scriptengine: DEADLINE_EXCEEDED: no answer from ${address} within 500 ms (SE_ANSWER_WAIT_MS sets the wait, ms)\n`]);
  });

  it("SE_ANSWER_WAIT_MS that is no positive whole number is a usage error", async () => {
    const r = await cli(["-a", address, "health"], { env: { SE_ANSWER_WAIT_MS: "5s" } });
    expect([r.code, r.stderr]).toEqual([2, 'scriptengine: SE_ANSWER_WAIT_MS must be a positive whole number of milliseconds, got "5s"\n']);
  });
});
