// A script whose compile alone outgrows the request's memory limit (V8 runs out while compiling it in
// the execution isolate) breached that limit: RESOURCE_EXHAUSTED naming memory, a limit_exceeded
// SecurityViolation and a memory_limit count, as a run-time breach. It was read as the script's own
// SyntaxError ("Isolate was disposed ... memory limit"): an OK RPC with success=false.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { firstEventDuring } from "../helpers/events.ts";
import { freePort } from "../helpers/ports.ts";

const LIMIT = 8 * 1048576;
let server: TestServer;
let promPort = 0;

/** The executions counted with this outcome (Prometheus text, summed over levels). */
async function executionsWith(outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${promPort}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith("scriptengine_executions") && l.includes(`="${outcome}"`))
    .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
}

beforeAll(async () => {
  promPort = await freePort();
  const otel = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OTEL_")).map((k) => [k, ""]));
  server = await startServer({
    toml: `[pool]\nworkers = 1\n[telemetry]\nenabled = true\notlp = false\nprometheus_address = "127.0.0.1:${promPort}"\n`,
    env: otel,
  });
});
afterAll(async () => {
  await server?.stop();
});

it("a source too big to compile within the memory limit is RESOURCE_EXHAUSTED (memory), and the next run is sound", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const source = "[" + "{},".repeat(349_000) + "0].length"; // ~1 MiB: its compile alone needs more than 8 MiB
  const context = { resourceLimits: { maxMemoryBytes: BigInt(LIMIT) } };
  let f: Awaited<ReturnType<typeof failure>> | undefined;
  const event = await firstEventDuring(server, "security_violation", {}, async () => {
    f = await failure(scripts.runScript({ source, context }));
  });
  expect([f?.code, f?.reason, f?.metadata.resource, f?.metadata.limit], f?.err.message).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "memory", String(LIMIT)]);
  expect(f?.err.rawMessage).toMatch(/memory limit of 8 MiB/);
  expect(event.event.case === "securityViolation" && event.event.value.kind).toBe("limit_exceeded");
  expect(await executionsWith("memory_limit")).toBeGreaterThanOrEqual(1);
  expect(await executionsWith("script_threw")).toBe(0);

  // The same worker goes on: a run within the limit, and the same source with room to compile, answer as ever.
  const ok = await scripts.runScript({ source: "[1, 2, 3].map((x) => x * 2).join()", context });
  expect([ok.result?.success, ok.result?.returnValue?.kind.value]).toEqual([true, "2,4,6"]);
  const roomy = await scripts.runScript({ source });
  expect([roomy.result?.success, roomy.result?.returnValue?.kind.value]).toEqual([true, 349_001]);
}, 60_000);
