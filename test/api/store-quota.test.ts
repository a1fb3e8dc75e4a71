// store.max_bytes: the stored sources of every version together stay under a cap, so callers
// compiling without end cannot fill the host's disk. Past it, CompileScript is RESOURCE_EXHAUSTED
// and nothing is stored; versions store.max_versions removes make room; the count survives a restart.
import { afterAll, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const args = ["--set", "store.max_bytes=10000", "--set", "store.max_versions=1", "--set", "pool.workers=1"];
let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

async function waitFor(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not reached in 2.5 s");
}

/** A module returning `n` whose stored version takes exactly `bytes`: its source, no name, and "{}" of metadata. */
const source = (n: number, bytes: number) => {
  const head = `export default () => ${n};\n//`;
  return head + "x".repeat(bytes - 2 - head.length);
};

it("refuses a compile that would take the store past store.max_bytes, at the edge", async () => {
  server = await startServer({ args });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  await scripts.compileScript({ source: source(1, 4000), context: { scriptId: "a" } });
  await scripts.compileScript({ source: source(2, 6000), context: { scriptId: "b" } }); // exactly 10,000 bytes
  expect((await scripts.getMetrics({})).metrics?.storedScriptBytes).toBe(10_000n);
  const f = await failure(scripts.compileScript({ source: "1", context: { scriptId: "c" } })); // three bytes more
  expect([f.code, f.reason, f.metadata.resource, f.metadata.limit]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "script_store", "10000"]);
  expect((await failure(scripts.getScript({ scriptId: "c" }))).code).toBe("NotFound");
  // A new version of "a" replaces the only kept one: 4,000 bytes freed, 3,997 taken.
  await scripts.compileScript({ source: source(4, 3997), context: { scriptId: "a" } });
  expect((await scripts.executeScript({ scriptId: "a" })).result?.returnValue?.kind.value).toBe(4);
  await scripts.compileScript({ source: "1", context: { scriptId: "c" } });
  // Name and metadata count too: what the caller stores is what fills the disk.
  const meta = await failure(scripts.compileScript({ source: "2", context: { scriptId: "d", metadata: { k: "v" } } }));
  expect(meta.metadata.resource).toBe("script_store");
  // The total is read back from disk after a restart.
  const dataDir = server.dataDir;
  await server.stop();
  server = await startServer({ args, dataDir });
  const again = clientFor(ScriptService, "grpc-js", server);
  expect((await failure(again.compileScript({ source: "2", context: { scriptId: "d" } }))).metadata.resource).toBe("script_store");
  expect((await again.executeScript({ scriptId: "b" })).result?.returnValue?.kind.value).toBe(2);
});

it("DeleteScript removes every version, frees its bytes, needs scripts:delete, and says NOT_FOUND after", async () => {
  const OPS = "ops-token-0123456789abcdef";
  const DEV = "dev-token-0123456789abcdef";
  const toml = `[store]\nmax_bytes = 10000\n\n[health_check]\ninterval = "100ms"\n\n[[auth.principals]]\nname = "ops"\ntoken = "${OPS}"\nmax_security_level = "safe"\npermissions = ["scripts:delete"]\n\n[[auth.principals]]\nname = "dev"\ntoken = "${DEV}"\nmax_security_level = "safe"\n`;
  await server?.stop();
  server = await startServer({ toml, args: ["--set", "pool.workers=1"] });
  const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const scripts = clientFor(ScriptService, "grpc-js", server);
  await scripts.compileScript({ source: source(1, 5000), context: { scriptId: "old" } }, as(DEV));
  await scripts.compileScript({ source: source(2, 4000), context: { scriptId: "old" } }, as(DEV));
  expect((await failure(scripts.compileScript({ source: source(3, 2000), context: { scriptId: "new" } }, as(DEV)))).metadata.resource).toBe("script_store");
  const denied = await failure(scripts.deleteScript({ scriptId: "old" }, as(DEV)));
  expect([denied.code, denied.metadata.permission]).toEqual(["PermissionDenied", "scripts:delete"]);
  // 9,000 of 10,000 bytes: the store says it is nearly full, and the instance is DEGRADED.
  const store = async () => (await scripts.healthCheck({}, as(DEV))).health!;
  const degraded = await store();
  expect(degraded.components.find((c) => c.name === "store")).toMatchObject({ status: ServiceStatus.DEGRADED, message: "9000 of 10000 bytes of scripts stored (90 %)" });
  await waitFor(async () => (await store()).status === ServiceStatus.DEGRADED);
  const before = (await scripts.getMetrics({}, as(DEV))).metrics!.storedScriptBytes;
  expect((await scripts.deleteScript({ scriptId: "old" }, as(OPS))).versionsDeleted).toBe(2);
  expect(before - (await scripts.getMetrics({}, as(DEV))).metrics!.storedScriptBytes).toBe(9_000n);
  // A deletion leaves an audit line: what, how much, by whom.
  const audit = server.logs().split("\n").filter((l) => l.includes('"script deleted"')).map((l) => JSON.parse(l));
  expect(audit).toMatchObject([{ level: "info", script_id: "old", versions: 2, principal: "ops" }]);
  await waitFor(async () => (await store()).status === ServiceStatus.HEALTHY);
  for (const version of [0, 1, 2]) expect((await failure(scripts.executeScript({ scriptId: "old", version }, as(DEV)))).code).toBe("NotFound");
  expect((await failure(scripts.getScript({ scriptId: "old" }, as(DEV)))).code).toBe("NotFound");
  expect((await failure(scripts.deleteScript({ scriptId: "old" }, as(OPS)))).reason).toBe("SCRIPT_NOT_FOUND");
  // Its 9,000 bytes are free again; compiling the id anew continues after its last version (2).
  await scripts.compileScript({ source: source(3, 8000), context: { scriptId: "new" } }, as(DEV));
  expect((await scripts.compileScript({ source: "5", context: { scriptId: "old" } }, as(DEV))).script?.version).toBe(3);
  expect((await scripts.executeScript({ scriptId: "old" }, as(DEV))).result?.returnValue?.kind.value).toBe(5);
  expect((await failure(scripts.deleteScript({ scriptId: "" }, as(OPS)))).code).toBe("InvalidArgument");
});
