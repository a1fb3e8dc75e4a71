// The TypeScript SDK's own behaviour against a real server: retries only for idempotent calls
// on UNAVAILABLE, deadlines as TimeoutError, the helpers, and both transports.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, type TestServer } from "../../../test/helpers/server.ts";
import { create } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { ExecutionContextSchema } from "../../../gen/ts/scriptengine/v1/script_pb.js";
import { ScriptService } from "../../../gen/ts/scriptengine/v1/script_service_pb.js";
import { MigrationService } from "../../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { RegistryService } from "../../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ToolService } from "../../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { createConnectTransport } from "@connectrpc/connect-node";
import { CancelledError, createScriptEngineClient, IDEMPOTENT_METHODS, InvalidArgumentError, ResourceExhaustedError, ScriptEngineClient, TimeoutError, UnavailableError, NotFoundError, ServiceStatus, ServingStatus } from "../src/index.ts";
import { freePort, SERVER_ARGS } from "./support.ts";

// What the contract declares idempotent (idempotency_level in proto/): the Go and Python SDKs
// assert the same set.
const EXPECTED_IDEMPOTENT = [
  "ScriptService/GetScript", "ScriptService/ListScripts", "ScriptService/HealthCheck", "ScriptService/GetMetrics",
  "ScriptService/GetConfig", "ScriptService/Start", "ScriptService/Stop",
  "MigrationService/RollbackTool", "MigrationService/ListMigrations", "MigrationService/GetMigrationStatus",
  "RegistryService/RegisterService", "RegistryService/Heartbeat", "RegistryService/DiscoverServices",
  "ToolService/ListTools", "ToolService/GetTool",
].map((m) => `scriptengine.v1.${m}`);

describe("retries", () => {
  it("retries exactly the methods the contract declares idempotent", () => {
    expect([...IDEMPOTENT_METHODS].sort()).toEqual([...EXPECTED_IDEMPOTENT].sort());
    const declared = [ScriptService, MigrationService, RegistryService, ToolService].flatMap((s) => s.methods).filter((m) => m.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN);
    expect(declared.map((m) => `${m.parent.typeName}/${m.name}`).sort()).toEqual([...EXPECTED_IDEMPOTENT].sort());
  });

  it("retries an idempotent call on UNAVAILABLE until the server is up", async () => {
    const port = await freePort();
    const retries: number[] = [];
    const client = createScriptEngineClient({ address: `127.0.0.1:${port}`, retry: { maxAttempts: 100, initialBackoffMs: 100, maxBackoffMs: 300 }, onRetry: (r) => retries.push(r.attempt) });
    let server: TestServer | undefined;
    // A generous attempt budget (~15 s of backoff): a loaded machine can take seconds to start the server.
    const late = new Promise<void>((resolve) => setTimeout(async () => {
      server = await startServer({ args: [...SERVER_ARGS, "--grpc-address", `127.0.0.1:${port}`] });
      resolve();
    }, 300));
    try {
      const health = await client.health();
      expect(health.status).toBe(ServiceStatus.HEALTHY);
      expect(retries.length).toBeGreaterThan(0);
    } finally {
      await late;
      client.close();
      await server?.stop();
    }
  });

  it("does not retry a non-idempotent call", async () => {
    const port = await freePort();
    let retried = 0;
    const client = createScriptEngineClient({ address: `127.0.0.1:${port}`, onRetry: () => retried++ });
    await expect(client.run("1 + 1")).rejects.toBeInstanceOf(UnavailableError);
    await expect(client.scripts.getConfig({}, { timeoutMs: 600 })).rejects.toBeInstanceOf(UnavailableError);
    expect(retried).toBeGreaterThan(0); // GetConfig was retried within its deadline
    const before = retried;
    await expect(client.scripts.compileScript({ source: "1" })).rejects.toBeInstanceOf(UnavailableError);
    // Repeated after a lost reply, these would say NOT_FOUND for what the first attempt did.
    await expect(client.registry.deregisterService({ serviceId: "s" })).rejects.toBeInstanceOf(UnavailableError);
    await expect(client.events.unsubscribe({ subscriptionId: "s" })).rejects.toBeInstanceOf(UnavailableError);
    expect(retried).toBe(before);
    client.close();
  });

  it("an abort between retries is CancelledError, whatever the abort's reason", async () => {
    const port = await freePort();
    const client = createScriptEngineClient({ address: `127.0.0.1:${port}`, retry: { maxAttempts: 50, initialBackoffMs: 200, maxBackoffMs: 200 } });
    const controller = new AbortController();
    const retrying = client.scripts.getConfig({}, { signal: controller.signal, timeoutMs: 20_000 }).then(() => undefined, (e) => e);
    await new Promise((r) => setTimeout(r, 500)); // the call is between attempts most of this time
    controller.abort(new Error("the user gave up"));
    const err = await retrying;
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.message).toMatch(/the user gave up/);
    client.close();
  });
});

describe("closing the grpc-js client", () => {
  it("ends calls in flight and refuses later ones, CancelledError 'the client was closed'", async () => {
    const server = await startServer({ args: SERVER_ARGS });
    const client = createScriptEngineClient({ address: server.grpc });
    try {
      const slow = client.run("export default async () => { await new Promise((r) => setTimeout(r, 3000)); return 1 }").then(() => undefined, (e) => e);
      const events = client.subscribe();
      const reading = (async () => { for await (const _ of events) { /* none arrive */ } })().then(() => undefined, (e) => e);
      await new Promise((r) => setTimeout(r, 500));
      client.close();
      // CancelledError, not the script's value 1 (undefined here): close() ended the call before the script did.
      for (const err of [await slow, await client.health().then(() => undefined, (e) => e)]) {
        expect(err).toBeInstanceOf(CancelledError);
        expect(err.message).toMatch(/the client was closed/);
      }
      const ended = await reading;
      expect(ended === undefined || ended instanceof CancelledError).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

describe("helpers", () => {
  it("one RunOptions serves concurrent calls: each sends its own arguments, the context stays unchanged", async () => {
    const server = await startServer({ args: SERVER_ARGS });
    const client = createScriptEngineClient({ address: server.grpc });
    try {
      const context = create(ExecutionContextSchema, { environment: { MODE: "m" } });
      const got = await Promise.all(Array.from({ length: 8 }, (_, i) => client.run("export default (a, ctx) => `${a.i}:${ctx.env.MODE}`", { i }, { context })));
      expect(got).toEqual(Array.from({ length: 8 }, (_, i) => `${i}:m`));
      expect(context.arguments).toEqual({});
    } finally {
      client.close();
      await server.stop();
    }
  });
});

// One server for the three transports' blocks (they run one after another; none changes what another sees).
let bigReturns: Promise<TestServer> | undefined;
afterAll(async () => {
  if (bigReturns) await (await bigReturns).stop();
});

describe.each(["grpc-js", "connect", "grpc-web"] as const)("client over %s", (transport) => {
  let server: TestServer;
  let client: ScriptEngineClient;
  beforeAll(async () => {
    // Outputs may be larger than the defaults: responses then exceed the 4 MiB grpc-js receives by default.
    server = await (bigReturns ??= startServer({ args: [...SERVER_ARGS, "--set", "execution.max_return_bytes=8388608"] }));
    client = createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport });
  });

  it("receives a result larger than 4 MiB when the server's caps allow one", async () => {
    expect(await client.run("export default () => 'x'.repeat(5 * 1024 * 1024).length")).toBe(5 * 1024 * 1024);
    expect(String(await client.run("'y'.repeat(5 * 1024 * 1024)")).length).toBe(5 * 1024 * 1024);
  });
  afterAll(() => {
    client.close();
  });

  it("reads health through the helper", async () => {
    expect((await client.health()).status).toBe(ServiceStatus.HEALTHY);
  });

  it("reads the standard grpc.health.v1 status", async () => {
    expect(await client.standardHealth()).toBe(ServingStatus.SERVING);
    expect(await client.standardHealth("scriptengine.v1.ScriptService")).toBe(ServingStatus.SERVING);
  });

  it("turns an expired deadline into TimeoutError", async () => {
    const err = await client.scripts.getMetrics({}, { timeoutMs: 1, signal: undefined }).then(() => undefined, (e) => e);
    // A 1 ms deadline may still be met on a fast loopback; when it is not, the error is typed.
    if (err !== undefined) expect(err).toBeInstanceOf(TimeoutError);
  });

  it("compiles, executes and deletes a stored script through the helpers", async () => {
    await client.compile("export default (args) => args.n + 1", { scriptId: "helper-delete" });
    await client.compile("export default (args) => args.n + 2", { scriptId: "helper-delete" });
    expect(await client.execute("helper-delete", { n: 1 })).toBe(3);
    expect(await client.delete("helper-delete")).toBe(2);
    expect(await client.execute("helper-delete").then(() => undefined, (e) => e)).toBeInstanceOf(NotFoundError);
  });

  it("exposes BadRequest field violations as fieldViolations", async () => {
    const err = await client.scripts.compileScript({ source: "" }).then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.fieldViolations).toEqual([{ field: "source", description: expect.any(String) }]);
    const found = await client.tools.getTool({ name: "no_such_tool" }).then(() => undefined, (e) => e);
    expect(found.fieldViolations).toEqual([]);
  });

  it("types NOT_FOUND with the server's ErrorInfo", async () => {
    const err = await client.tools.getTool({ name: "no_such_tool" }).then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.reason).toBe("TOOL_NOT_FOUND");
    expect(err.domain).toBe("scriptengine.v1");
    expect(err.errorMetadata).toMatchObject({ tool: "no_such_tool" });
  });
});

describe("Connect GET for the methods without side effects", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ args: SERVER_ARGS });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("a transport with useHttpGet reads through GET, and the door serves it", async () => {
    const client = new ScriptEngineClient(createConnectTransport({ baseUrl: `http://${server.http}`, httpVersion: "1.1", useHttpGet: true }));
    expect((await client.health()).status).toBe(ServiceStatus.HEALTHY);
    expect((await client.scripts.listScripts({})).scripts).toEqual([]);
    expect(await client.run("1 + 1")).toBe(2); // RunScript has side effects: still a POST
  });

  it("GET is served only where the contract says no side effects", async () => {
    const get = (method: string) => fetch(`http://${server.http}/scriptengine.v1.${method}?connect=v1&encoding=json&message=${encodeURIComponent("{}")}`);
    const health = await get("ScriptService/HealthCheck");
    expect(health.status).toBe(200);
    expect(((await health.json()) as { health: { status: string } }).health.status).toBe("SERVICE_STATUS_HEALTHY");
    expect((await get("ScriptService/Stop")).status).toBe(405);
    expect((await get("ScriptService/RunScript")).status).toBe(405);
  });
});

it("README example", async () => {
  const server = await startServer({ args: SERVER_ARGS });
  const logged: unknown[] = [];
  const console = { log: (v: unknown) => logged.push(v) };
  const process = { env: { SCRIPTENGINE_TOKEN: undefined as string | undefined } };
  try {
    // --- README example (clients/ts/README.md), with the server's address ---
    const client = createScriptEngineClient({ address: server.grpc, token: process.env.SCRIPTENGINE_TOKEN });
    try {
      const sum = await client.run("export default (args) => args.a + args.b", { a: 2, b: 3 });
      console.log(sum); // 5
      // From the start of what the server keeps; what it no longer has is reported, not thrown.
      const events = client.subscribe({ eventTypes: ["script_executed"], afterSequence: 0n, onLost: (lost) => console.log(`missed ${lost.missedCount}`) });
      for await (const event of events) { console.log(String(event.sequence)); break; }
    } catch (err) {
      if (err instanceof ResourceExhaustedError) await new Promise((r) => setTimeout(r, err.retryDelayMs ?? 1000));
      else throw err;
    } finally { client.close(); }
    // --- end ---
    expect(logged[0]).toBe(5);
    expect(logged[1]).toMatch(/^\d+$/); // console.log would print a bigint as "4n"
  } finally {
    await server.stop();
  }
});

describe.each(["grpc-js", "connect"] as const)("leaving a stream early over %s", (transport) => {
  let server: TestServer;
  let client: ScriptEngineClient;
  beforeAll(async () => {
    // One open stream per principal: each new stream below needs the previous one released.
    server = await startServer({ args: [...SERVER_ARGS, "--set", "server.max_streams_per_caller=1"] });
    client = createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport });
    await client.run("1");
  });
  afterAll(async () => {
    client.close();
    await server.stop();
  });

  // The server frees a cancelled stream once it hears of it: a new stream is refused
  // (RESOURCE_EXHAUSTED) until then, and for ever when the old one was never cancelled.
  async function whenReleased(open: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await open();
      } catch (err) {
        if (!(err instanceof ResourceExhaustedError) || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  it("cancels the server stream on break, return and throw, for subscribe() and watch()", async () => {
    const leaves: Array<[string, () => Promise<void>]> = [
      ["subscribe + break", async () => { for await (const _ of client.subscribe({ afterSequence: 0n })) break; }],
      ["watch + break", async () => { for await (const _ of client.watch()) break; }],
      ["subscribe + throw", async () => {
        const boom = new Error("leave");
        const err = await (async () => { for await (const _ of client.subscribe({ afterSequence: 0n })) throw boom; })().catch((e: unknown) => e);
        if (err !== boom) throw err;
      }],
      ["watch + return", async () => { await (async () => { for await (const change of client.watch()) return change; })(); }],
      ["subscribe again", async () => { for await (const _ of client.subscribe({ afterSequence: 0n })) break; }],
    ];
    for (const [, leave] of leaves) await whenReleased(leave);
    const subscribers = async () => (await client.scripts.getMetrics({})).metrics!.eventSubscribers;
    for (let attempt = 0; (await subscribers()) !== 0n && attempt < 50; attempt++) await new Promise((r) => setTimeout(r, 100));
    expect(await subscribers()).toBe(0n);
  });
});

/** Runs the README's example (its import made this checkout's SDK) against address; bounded: a process kept alive is killed. */
async function runExample(example: string, address: string): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; out: string; errOut: string }> {
  const code = example
    .replace(`"@scriptengine/client"`, JSON.stringify(pathToFileURL(join(ROOT, "clients/ts/src/index.ts")).href))
    .replace(`"127.0.0.1:50051"`, JSON.stringify(address));
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let errOut = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (errOut += d));
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (c, sig) => resolve([c, sig])));
  clearTimeout(killer);
  return { exitCode, signal, out, errOut };
}

it("the README example exits, also against a server restarted on its data dir", async () => {
  const readme = readFileSync(join(ROOT, "clients/ts/README.md"), "utf8");
  const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(example); // the top-level README shows the same
  let server = await startServer({ args: SERVER_ARGS });
  const earlier = createScriptEngineClient({ address: server.grpc });
  await earlier.run("1").finally(() => earlier.close());
  await server.stop();
  server = await startServer({ args: SERVER_ARGS, dataDir: server.dataDir });
  try {
    const { exitCode, signal, out, errOut } = await runExample(example.replace("catch (err) {", "catch (err) { console.error(String(err));"), server.grpc);
    expect({ exitCode, signal, stderr: errOut }).toEqual({ exitCode: 0, signal: null, stderr: "" });
    // The restarted server no longer has the earlier run's events: the example is told how many.
    expect(out.trim().split("\n")).toEqual(["5", expect.stringMatching(/^missed [1-9]\d*$/), expect.stringMatching(/^\d+$/)]);
  } finally {
    await server.stop();
  }
});

it("the README example does not hide a failure it does not handle: no server there, it exits non-zero with the error", async () => {
  const readme = readFileSync(join(ROOT, "clients/ts/README.md"), "utf8");
  const example = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
  const { exitCode, signal, out, errOut } = await runExample(example, `127.0.0.1:${await freePort()}`);
  // Before, its catch swallowed every error but ResourceExhaustedError: exit 0, nothing printed.
  expect({ exitCode, signal, out }).toEqual({ exitCode: 1, signal: null, out: "" });
  expect(errOut).toContain("UnavailableError");
});
