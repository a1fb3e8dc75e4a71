// An HTTP/1.1 keep-alive connection on the HTTP port (the TS SDK's Connect and gRPC-Web transports
// keep one open between calls) must not hold shutdown: idle, it is ended at once; busy, once its
// call is answered. It used to hold the HTTP door open until Node's keep-alive timeout (5 s) ended
// it, or the door's force timeout (grace + 3 s) if sooner.
import { afterEach, expect, it } from "vitest";
import { createScriptEngineClient, type ScriptEngineClient } from "../../clients/ts/src/index.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { untilMetrics } from "../helpers/until.ts";
import { clientFor } from "../helpers/clients.ts";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";

let server: TestServer | undefined;
let client: ScriptEngineClient | undefined;
afterEach(async () => {
  client?.close();
  await server?.stop();
});

const GRACE = ["--set", "server.shutdown_grace=30s"];

/** From "shutdown requested" to "stopped", by the server's own clock (~5 s while a connection held it). */
function shutdownMs(logs: string): number {
  const at = (msg: string) => Date.parse(JSON.parse(logs.split("\n").find((l) => l.includes(`"msg":"${msg}"`))!).time);
  return at("stopped") - at("shutdown requested");
}

for (const transport of ["connect", "grpc-web"] as const) {
  it(`an idle ${transport} keep-alive connection does not hold shutdown`, { timeout: 60_000 }, async () => {
    server = await startServer({ args: GRACE });
    client = createScriptEngineClient({ transport, address: server.http, retry: false });
    expect(await client.run("1 + 1")).toBe(2);
    expect(await server.stop()).toBe(0);
    expect(shutdownMs(server.logs())).toBeLessThan(2500);
  });
}

it("a keep-alive connection busy at shutdown gets its answer, then ends", { timeout: 60_000 }, async () => {
  server = await startServer({ args: GRACE });
  client = createScriptEngineClient({ transport: "connect", address: server.http, retry: false });
  expect(await client.run("1")).toBe(1);
  const call = client.run("export default async () => { await new Promise((r) => setTimeout(r, 1500)); return 'answered'; }", undefined, {
    context: { securityContext: { securityLevel: SecurityLevel.PRODUCTION } },
  });
  await untilMetrics(clientFor(ScriptService, "grpc-js", server), "the call runs", (m) => m.busyIsolates === 1n);
  const exited = server.stop();
  expect(await call).toBe("answered");
  expect(await exited).toBe(0);
  // The 1.5 s call, then no wait for the connection.
  expect(shutdownMs(server.logs())).toBeLessThan(1500 + 2500);
});
