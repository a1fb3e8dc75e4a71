// metrics --watch on a server that stops answering (frozen by SIGSTOP, a host gone without a reset)
// ended after the one-shot 15 s deadline with exit 6, "a limit", in grpc-js's words ("Deadline
// exceeded after 14.994s,LB pick: 0.001s,remote_addr=…"). It now waits it out as an outage,
// saying so, and then ends with exit 3, not serving.
import { createServer, type Server, type Socket } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeError } from "../../src/cli/exit.ts";
import { cli } from "./helpers.ts";

// Takes connections (as the kernel does for a stopped process) and never says a word.
let silent: Server;
const sockets: Socket[] = [];
let address = "";
beforeAll(async () => {
  silent = createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

it("retries a poll with no answer, then exits 3 saying so", async () => {
  const started = Date.now();
  const r = await cli(["-a", address, "metrics", "--watch", "100ms"], { env: { SE_WATCH_RETRY_MS: "0" }, timeoutMs: 40_000 });
  const lines = r.stderr.trimEnd().split("\n");
  expect([r.code, lines]).toEqual([
    3,
    [`scriptengine: DEADLINE_EXCEEDED: no answer from ${address} within 5 s; retrying`, `scriptengine: DEADLINE_EXCEEDED: no answer from ${address} within 5 s`],
  ]);
  expect(Date.now() - started).toBeLessThan(25_000); // two polls of 5 s, not 15 s each
}, 45_000);

it("a deadline's line leaves out grpc-js's internals: no answer, not serving (3)", () => {
  const e = new ConnectError("Deadline exceeded after 14.994s,LB pick: 0.001s,remote_addr=127.0.0.1:38761", Code.DeadlineExceeded);
  expect(describeError(e, "127.0.0.1:38761")).toEqual({ exitCode: 3, line: "DEADLINE_EXCEEDED: no answer from 127.0.0.1:38761" });
});
