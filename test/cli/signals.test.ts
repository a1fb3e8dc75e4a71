// SIGINT and SIGTERM end every command with 130 and 143 (128 + the signal): one-shot commands died
// by the signal (no exit code for a parent reading the status), and events and metrics --watch
// exited 0 on both. The server still learns at once that the caller has gone.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli, live } from "./helpers.ts";

let server: TestServer;
let slow: string;
const at = () => ["--address", server.grpc];

beforeAll(async () => {
  slow = join(mkdtempSync(join(tmpdir(), "scriptengine-cli-signals-")), "slow.js");
  writeFileSync(slow, "export default async () => { await new Promise((r) => setTimeout(r, 20000)); return 1 }");
  server = await startServer({ args: ["--set", "pool.workers=1"] });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

async function busyIsolates(): Promise<number> {
  return Number(JSON.parse((await cli([...at(), "--json", "metrics"])).stdout).busyIsolates ?? 0);
}
async function until(test: () => Promise<boolean>, what: string): Promise<void> {
  for (const end = Date.now() + 15_000; !(await test()); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("signals", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("run stopped by %s exits %i, and the server frees the isolate", async (signal, code) => {
    const p = live([...at(), "run", slow, "--level", "development"]);
    await until(async () => (await busyIsolates()) >= 1, "the run to start");
    expect(await p.interrupt(signal)).toBe(code);
    expect(p.stderr()).toBe("");
    await until(async () => (await busyIsolates()) === 0, "the isolate to be freed");
  });

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("events and metrics --watch stopped by %s exit %i, not 0", async (signal, code) => {
    const events = live([...at(), "events"]);
    await events.waitFor((_out, err) => /subscribed/.test(err));
    expect(await events.interrupt(signal)).toBe(code);
    const watch = live([...at(), "--json", "metrics", "--watch", "100ms"]);
    await watch.waitFor((out) => out.includes("\n"));
    expect(await watch.interrupt(signal)).toBe(code);
  });
});
