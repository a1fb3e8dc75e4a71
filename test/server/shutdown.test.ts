// SIGTERM ends streams cleanly on both doors, with UNAVAILABLE so clients know to resume
// elsewhere or later, and the process exits 0.
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { failure } from "../helpers/errors.ts";
import { ChangeKind, RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, startServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { settle, until, untilMetrics } from "../helpers/until.ts";

describe("graceful shutdown", () => {
  it("ends open streams with UNAVAILABLE ENGINE_STOPPED on both doors and exits 0", async () => {
    const server = await startServer();
    const watch = (protocol: "grpc-js" | "connect") => {
      const seen: Serving[] = [];
      const ended = (async () => {
        for await (const res of clientFor(Health, protocol, server).watch({ service: "" })) seen.push(res.status);
      })().then(() => "OK", (e: ConnectError) => `${Code[e.code]} ${e.findDetails(ErrorInfoSchema)[0]?.reason}`);
      return { seen, ended };
    };
    const streams = [watch("grpc-js"), watch("connect")];
    try {
      // Both streams open (each has its first status) before the signal, however slow the machine.
      await until("both Health watches have their first status", () => streams.every((side) => side.seen.length > 0));
      const exit = server.stop("SIGTERM");
      for (const side of streams) {
        expect(side.seen[0]).toBe(Serving.SERVING);
        expect(await side.ended).toBe("Unavailable ENGINE_STOPPED");
      }
      expect(await exit).toBe(0);
      expect(server.logs()).toMatch(/"msg":"stopped"/);
    } finally {
      await server.stop();
    }
  });

  it("what streams hold when shutdown begins still goes out: the engine's own deregistration reaches watchers and subscribers", async () => {
    const server = await startServer();
    const engineId = (await clientFor(RegistryService, "grpc-js", server).discoverServices({ serviceType: "ScriptEngine" })).services[0]?.service?.serviceId;
    expect(engineId).toBeTruthy();
    const watched: string[] = [];
    const watching = (async () => {
      for await (const m of clientFor(RegistryService, "grpc-js", server).watchServices({})) watched.push(`${ChangeKind[m.kind]} ${m.registration?.service?.serviceId}`);
    })().then(() => "OK", (e: ConnectError) => Code[e.code]);
    const reasons: string[] = [];
    let subscribed = false;
    const subscribing = (async () => {
      for await (const m of clientFor(EventService, "connect", server).subscribe({ eventTypes: ["service_unregistered"] })) {
        if (m.message.case === "started") subscribed = true;
        if (m.message.case === "event" && m.message.value.event.case === "serviceUnregistered") reasons.push(m.message.value.event.value.reason);
      }
    })().then(() => "OK", (e: ConnectError) => Code[e.code]);
    try {
      // The watch's snapshot and the subscription's first message: both streams are open.
      await until("the watch has its snapshot and the subscription started", () => watched.length > 0 && subscribed);
      expect(await server.stop("SIGTERM")).toBe(0);
      expect(await watching).toBe("Unavailable");
      expect(await subscribing).toBe("Unavailable");
      expect(watched.at(-1)).toBe(`DEREGISTERED ${engineId}`);
      expect(reasons).toEqual(["shutdown"]);
    } finally {
      await server.stop();
    }
  });

  it("executions that finish while SIGTERM drains them still reach subscribers (ScriptExecuted), then streams end", async () => {
    const server = await startServer({ args: ["--set", "pool.workers=1"] });
    const executed: string[] = [];
    let subscribed = false;
    const subscribing = (async () => {
      for await (const m of clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["script_executed"] })) {
        if (m.message.case === "started") subscribed = true;
        if (m.message.case === "event" && m.message.value.event.case === "scriptExecuted") executed.push(m.message.value.event.value.executionId);
      }
    })().then(() => "OK", (e: ConnectError) => Code[e.code]);
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const slow = "export default async () => { await new Promise((r) => setTimeout(r, 800)); return 7; }";
    const inFlight: ReturnType<typeof scripts.runScript>[] = [];
    try {
      await until("the subscription started", () => subscribed);
      inFlight.push(...["drain-1", "drain-2"].map((executionId) => scripts.runScript({ source: slow, context: { executionId } })));
      // Both started on the worker (parked on their timers): what is still queued at SIGTERM is refused by design.
      await untilMetrics(scripts, "both executions run", (m) => m.busyIsolates === 2n);
      const exit = server.stop("SIGTERM");
      expect((await Promise.all(inFlight)).map((r) => r.result?.returnValue?.kind.value)).toEqual([7, 7]);
      expect(await exit).toBe(0);
      expect(await subscribing).toBe("Unavailable");
      expect([...executed].sort()).toEqual(["drain-1", "drain-2"]);
    } finally {
      await server.stop();
      await settle(inFlight);
    }
  });

  it("at SIGTERM queued executions fail at once, retryable; one still running when the grace ends is UNAVAILABLE, not a reset", async () => {
    const server = await startServer({ args: ["--set", "pool.workers=1", "--set", "pool.max_parked=0", "--set", "server.shutdown_grace=1s"] });
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const busy = (ms: number) => ({ source: `const end = Date.now() + ${ms}; while (Date.now() < end) {} 1`, context: { timeout: durationFromMs(20_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } });
    await scripts.compileScript({ source: busy(100).source, context: { scriptId: "short" } });
    const running = failure(scripts.runScript(busy(6000)));
    const queued: Promise<Awaited<typeof running>>[] = [];
    try {
      await untilMetrics(scripts, "the long execution runs", (m) => m.busyIsolates === 1n);
      queued.push(...[1, 2].map(() => failure(scripts.executeScript({ scriptId: "short", context: busy(100).context }))));
      await untilMetrics(scripts, "two executions wait in the queue", (m) => m.queueLength === 2n);
      const exit = server.stop("SIGTERM");
      for (const q of await Promise.all(queued)) {
        expect([q.code, q.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
        expect(q.err.findDetails(RetryInfoSchema)).toHaveLength(1);
      }
      const r = await running;
      expect(r.code).toBe("Unavailable");
      expect(await exit).toBe(0);
    } finally {
      await server.stop();
      await settle([running, ...queued]);
    }
  });

  it("SIGHUP (the terminal went away) drains like SIGTERM instead of ending the process mid-call", async () => {
    const server = await startServer();
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const running = scripts.runScript({ source: "export default async () => { await new Promise((r) => setTimeout(r, 800)); return 'finished'; }" });
    try {
      // In flight, not still compiling or queued (those are refused at shutdown by design).
      await untilMetrics(scripts, "the execution runs", (m) => m.busyIsolates === 1n);
      expect(await server.stop("SIGHUP")).toBe(0);
      expect((await running).result?.returnValue?.kind.value).toBe("finished");
      expect(server.logs()).toMatch(/"msg":"shutdown requested".*"signal":"SIGHUP"/);
    } finally {
      await server.stop();
      await settle([running]);
    }
  });

  it("a signal while the server is still starting is a graceful stop once it has started (exit 0), never announced as listening or HEALTHY", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "se-early-signal-"));
    // The start holds after the engine, before the doors, until the signal (test hook, server.ts).
    const proc = spawn(process.execPath, [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir], {
      cwd: ROOT,
      env: { ...process.env, SE_TEST_START_DELAY_MS: "60000" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout!.on("data", (d) => (stdout += d));
    proc.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<string>((res) => proc.once("exit", (code, signal) => res(`${code} ${signal}`)));
    try {
      await until("the start is held before the doors open", () => stderr.includes('"msg":"test hook: start held'), { seen: () => stderr });
      proc.kill("SIGTERM");
      expect(await exited).toBe("0 null");
      expect(stderr).toMatch(/"msg":"shutdown requested"[^]*"msg":"started after a shutdown was requested/);
      expect(stdout).not.toMatch(/listening/);
      expect(stderr).not.toMatch(/"msg":"listening"/);
      expect(stderr).not.toMatch(/"status":"HEALTHY"/);
      expect(stderr).toMatch(/"msg":"stopped"/);
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    }
  });

  it("server.shutdown_grace at its maximum still drains (the doors' close timer does not overflow)", async () => {
    const server = await startServer({ args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=2147483s"] });
    const scripts = clientFor(ScriptService, "grpc-js", server);
    const running = scripts
      .runScript({ source: "export default async () => { await new Promise((r) => setTimeout(r, 1500)); return 'finished'; }" })
      .then((r) => r.result?.returnValue?.kind.value, (e: Error) => `failed: ${e.message}`);
    try {
      await untilMetrics(scripts, "the execution runs", (m) => m.busyIsolates === 1n);
      expect(await server.stop("SIGTERM")).toBe(0);
      expect(await running).toBe("finished");
      expect(server.logs()).not.toMatch(/TimeoutOverflowWarning/);
    } finally {
      await server.stop();
      await settle([running]);
    }
  });

  it("a Connect client's keep-alive connection does not hold shutdown open", async () => {
    const server = await startServer({ args: ["--set", "server.shutdown_grace=60s"] });
    const client = clientFor(Health, "connect", server);
    expect((await client.check({ service: "" })).status).toBe(Serving.SERVING);
    const started = Date.now();
    expect(await server.stop("SIGTERM")).toBe(0);
    // Waiting out the 60 s grace would mean the idle HTTP/1.1 connection held shutdown open.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
