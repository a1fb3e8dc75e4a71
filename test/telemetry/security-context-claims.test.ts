// SecurityContext's user_id, session_id and metadata are the caller's claims, and the contract
// says what the server does with them: nothing (it does not log them, store them, or put them in
// events). The comment once promised metadata "passed through to events and logs", which nothing
// did; the served descriptor (grpcurl describe) and the behaviour must agree.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createScriptEngineClient, type ScriptEngineClient } from "../../clients/ts/src/index.ts";
import { ROOT, startServer, type TestServer } from "../helpers/server.ts";

let server: TestServer;
let client: ScriptEngineClient;
beforeAll(async () => {
  server = await startServer({ args: ["--log-level", "debug"] });
  client = createScriptEngineClient({ address: server.grpc, retry: false });
});
afterAll(async () => {
  client?.close();
  await server?.stop();
});

it("the contract does not promise the claims reach events or logs", () => {
  for (const file of ["proto/scriptengine/v1/common.proto", "gen/descriptors/scriptengine.binpb"]) {
    const text = readFileSync(join(ROOT, file)).toString("latin1");
    expect(text, file).not.toContain("passed through to events and logs");
    expect(text, file).toContain("Not used, stored or logged by the");
  }
});

it("the claimed user_id, session_id and metadata appear in no event and no log line", async () => {
  const securityContext = { userId: "MARK-user", sessionId: "MARK-session", metadata: { ticket: "MARK-meta" } };
  await client.runScript("1 + 1", {}, { context: { securityContext } });
  await client.runScript("throw new Error('x')", {}, { context: { securityContext } });
  await expect(client.run("for (;;) {}", {}, { context: { securityContext, timeout: { seconds: 0n, nanos: 200_000_000 } } })).rejects.toThrow();
  const seen: string[] = [];
  const ac = new AbortController();
  for await (const event of client.subscribe({ afterSequence: 0n, signal: ac.signal })) {
    seen.push(JSON.stringify(event, (_, v) => (typeof v === "bigint" ? String(v) : v)));
    if (seen.filter((e) => e.includes("scriptExecuted")).length === 3 && seen.some((e) => e.includes("securityViolation"))) break;
  }
  expect(seen.join("\n")).not.toContain("MARK");
  expect(server.logs()).not.toContain("MARK");
});
