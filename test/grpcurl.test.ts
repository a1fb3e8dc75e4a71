// grpcurl (pinned in the Makefile, `make grpcurl`) against the real server, with no
// proto files at hand: list and describe through reflection, the standard health check, compile
// and execute a script with JSON input, and the first events of a subscription.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, type TestServer } from "./helpers/server.ts";

const GRPCURL = process.env.GRPCURL ?? join(ROOT, ".tools/bin/grpcurl");
const run = promisify(execFile);

describe("grpcurl", () => {
  let server: TestServer;
  const grpcurl = async (...args: string[]) => (await run(GRPCURL, ["-plaintext", ...args.slice(0, -1), server.grpc, args.at(-1)!])).stdout;
  const call = async (method: string, body: unknown) => JSON.parse(await grpcurl("-d", JSON.stringify(body), method));

  beforeAll(async () => {
    if (!existsSync(GRPCURL)) throw new Error(`grpcurl not found at ${GRPCURL}: run 'make grpcurl'`);
    server = await startServer({ args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("lists the services through reflection", async () => {
    const services = (await run(GRPCURL, ["-plaintext", server.grpc, "list"])).stdout.trim().split("\n");
    expect(services).toEqual(expect.arrayContaining([
      "grpc.health.v1.Health", "scriptengine.v1.ScriptService", "scriptengine.v1.EventService",
      "scriptengine.v1.MigrationService", "scriptengine.v1.RegistryService", "scriptengine.v1.ToolService",
    ]));
  });

  it("describes a service and a message, with the proto's comments", async () => {
    const svc = (await run(GRPCURL, ["-plaintext", server.grpc, "describe", "scriptengine.v1.ScriptService"])).stdout;
    expect(svc).toContain("rpc RunScript ( .scriptengine.v1.RunScriptRequest ) returns ( .scriptengine.v1.RunScriptResponse );");
    expect(svc).toContain("// Execute a stored script with the given context.");
    const msg = (await run(GRPCURL, ["-plaintext", server.grpc, "describe", "scriptengine.v1.ExecutionContext"])).stdout;
    expect(msg).toContain("map<string, .google.protobuf.Value> arguments = 3;");
    expect(msg).toContain("// Environment variables, visible to the script as `ctx.env`.");
  });

  it("answers the standard health check", async () => {
    expect(await call("grpc.health.v1.Health/Check", {})).toEqual({ status: "SERVING" });
    expect(await call("grpc.health.v1.Health/Check", { service: "scriptengine.v1.ScriptService" })).toEqual({ status: "SERVING" });
  });

  it("compiles and executes a script with JSON input, then reads the first events of a subscription", async () => {
    const compiled = await call("scriptengine.v1.ScriptService/CompileScript", {
      source: "export default (args) => ({ greeting: `hello ${args.name}` })",
      context: { scriptId: "greet" },
    });
    expect(compiled.script).toMatchObject({ scriptId: "greet", version: 1 });
    const executed = await call("scriptengine.v1.ScriptService/ExecuteScript", { scriptId: "greet", context: { arguments: { name: "grpcurl" } } });
    expect(executed.result).toMatchObject({ success: true, returnValue: { greeting: "hello grpcurl" } });
    const ran = await call("scriptengine.v1.ScriptService/RunScript", { source: "[1, 2, 3].map((x) => x * 2)" });
    expect(ran.result.returnValue).toEqual([2, 4, 6]);

    // Subscribe from the start of the log; grpcurl prints one JSON object per message.
    const proc = spawn(GRPCURL, ["-plaintext", "-format-error", "-d", JSON.stringify({ eventTypes: ["script_compiled", "script_executed"], afterSequence: "0" }), server.grpc, "scriptengine.v1.EventService/Subscribe"]);
    const messages: unknown[] = [];
    let buffer = "";
    await new Promise<void>((resolve, reject) => {
      proc.on("error", reject);
      createInterface({ input: proc.stdout }).on("line", (line) => {
        buffer += line + "\n";
        if (line === "}") {
          messages.push(JSON.parse(buffer));
          buffer = "";
          if (messages.length === 4) resolve();
        }
      });
      setTimeout(() => reject(new Error(`only ${messages.length} messages`)), 10_000);
    }).finally(() => proc.kill());
    expect(messages[0]).toMatchObject({ started: { subscriptionId: expect.any(String) } });
    expect(messages[1]).toMatchObject({ event: { scriptCompiled: { scriptId: "greet", success: true } } });
    expect(messages[2]).toMatchObject({ event: { scriptExecuted: { scriptId: "greet", success: true } } });
    expect(messages[3]).toMatchObject({ event: { scriptExecuted: { scriptId: "adhoc", success: true } } });
  });

  it("runs a one-line module and deletes a stored script", async () => {
    const ran = await call("scriptengine.v1.ScriptService/RunScript", { source: "const k = 2; export default (a) => a.x * k", context: { arguments: { x: 21 } } });
    expect(ran.result.returnValue).toBe(42);
    await call("scriptengine.v1.ScriptService/CompileScript", { source: "6 * 7", context: { scriptId: "scratch" } });
    expect(await call("scriptengine.v1.ScriptService/DeleteScript", { scriptId: "scratch" })).toEqual({ versionsDeleted: 1 });
  });

  it("shows a typed error with its ErrorInfo", async () => {
    const err = await run(GRPCURL, ["-plaintext", "-d", '{"scriptId":"missing"}', server.grpc, "scriptengine.v1.ScriptService/ExecuteScript"]).then(() => undefined, (e) => e);
    expect(err.stdout + err.stderr).toContain("Code: NotFound");
    expect(err.stdout + err.stderr).toContain('"reason": "SCRIPT_NOT_FOUND"');
  });

  it("decodes the output tail of a run stopped by a limit, and describes ErrorReason", async () => {
    const body = JSON.stringify({ source: 'console.log("step 1 done"); for (;;) {}', context: { timeout: "0.5s" } });
    const err = await run(GRPCURL, ["-plaintext", "-d", body, server.grpc, "scriptengine.v1.ScriptService/RunScript"]).then(() => undefined, (e) => e);
    const out = err.stdout + err.stderr;
    expect(out).toContain("Code: DeadlineExceeded");
    expect(out).toContain('"@type": "type.googleapis.com/scriptengine.v1.ExecutionOutput"');
    expect(out).toContain('"stdoutTail": "step 1 done\\n"');
    expect(out).not.toContain("is not recognized");
    const reasons = (await run(GRPCURL, ["-plaintext", server.grpc, "describe", "scriptengine.v1.ErrorReason"])).stdout;
    expect(reasons).toContain("ERROR_REASON_WORKER_CRASHED = 23;");
  });
});
