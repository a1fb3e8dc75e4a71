// Leaving a stream of a generated client early (break, return, a throw) cancels the call on every
// transport. createClient's stream iterables have no return(), so the call stayed open: the server
// kept the subscription (another client's Unsubscribe of it said OK) until close(), which on grpc-js
// and grpc-http2 ends the calls of their connections; Connect, gRPC-Web and Connect JSON hold none
// to close, and Node never exited.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, NotFoundError, type ScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS, TRANSPORTS } from "./support.ts";

let server: TestServer;
let other: ScriptEngineClient;
beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS });
  other = createScriptEngineClient({ address: server.grpc });
});
afterAll(async () => {
  other?.close();
  await server?.stop();
});

/** The server's live subscriptions, once their count is `want` or `ms` have passed. */
async function subscribers(want: number, ms: number): Promise<number> {
  for (const until = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 50))) {
    const n = Number((await other.scripts.getMetrics({})).metrics!.eventSubscribers);
    if (n === want || Date.now() > until) return n;
  }
}

describe.each(TRANSPORTS)("over %s", (transport) => {
  const connect = () => createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport });

  it.each(["break", "throw"] as const)("leaving a raw subscribe stream (%s) ends the call on the server", async (how) => {
    const client = connect();
    let subscriptionId = "";
    try {
      await (async () => {
        for await (const m of client.events.subscribe({ afterSequence: 0n })) {
          if (m.message.case === "started") subscriptionId = m.message.value.subscriptionId;
          if (how === "throw") throw new Error("done");
          break;
        }
      })().catch(() => {});
      expect(subscriptionId).not.toBe("");
      // The cancel reaches the server a moment later.
      expect(await subscribers(0, 3000)).toBe(0);
      // Unsubscribe ends one still open (OK): the server no longer has it.
      expect(await other.events.unsubscribe({ subscriptionId }).then(() => "OK", (e: unknown) => e)).toBeInstanceOf(NotFoundError);
    } finally {
      client.close();
    }
  });
});

it.each(["connect", "grpc-web", "connect-json"] as const)("a process that leaves a raw stream over %s and closes its client exits", async (transport) => {
  const code = `
    import { createScriptEngineClient } from ${JSON.stringify(pathToFileURL(join(ROOT, "clients/ts/src/index.ts")).href)};
    const c = createScriptEngineClient({ address: ${JSON.stringify(server.http)}, transport: ${JSON.stringify(transport)} });
    for await (const m of c.events.subscribe({ afterSequence: 0n })) break;
    c.close();
    console.log("left");
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let errOut = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (errOut += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (c, sig) => resolve([c, sig])));
  clearTimeout(killer);
  expect({ exitCode, signal, out: out.trim(), errOut }).toEqual({ exitCode: 0, signal: null, out: "left", errOut: "" });
});
