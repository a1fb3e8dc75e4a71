// A run stopped by a limit fails with one error line; what the script printed last (the server's
// ExecutionOutput detail) follows it on stderr, so the operator sees where it was when stopped.
import { join } from "node:path";
import { expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli, scriptsDir } from "./helpers.ts";

// A 10 % CPU share: the spinning script reaches its CPU budget (300 ms of its 3 s) before its wall limit
// even on a loaded machine (at Safe's 50 % it needed more than half a core, which a loaded machine did not give it).
const server = serverForTests({ args: ["--set", "pool.workers=1", "--set", "resource_limits.max_cpu_percentage=10"] });
const dir = scriptsDir("scriptengine-cli-tail-", {
  "spin.js": `console.log("fetched 3 pages"); console.log("parsing page 4\\x1b[2J"); console.error("retrying"); while (true) {}`,
});

it("run: the error line, then the end of the script's stdout and stderr", async () => {
  const r = await cli(["--address", server.grpc, "run", join(dir, "spin.js"), "--timeout", "3s"]);
  expect(r.code).toBe(6);
  const lines = r.stderr.split("\n");
  expect(lines[0]).toMatch(/^scriptengine: DEADLINE_EXCEEDED \(TIMEOUT\): the script exceeded its CPU time limit/);
  expect(lines.slice(1)).toEqual([
    "scriptengine: the script's stdout before it stopped (all 35 bytes):",
    "fetched 3 pages",
    "parsing page 4\\e[2J",
    "scriptengine: the script's stderr before it stopped (all 9 bytes):",
    "retrying",
    "",
  ]);
});
