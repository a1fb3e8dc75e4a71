// A bad configuration stops the server before it listens, with exit code 2 and one line naming the key.
import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, parseDuration } from "../../src/config/load.ts";
import { ROOT, runServerExpectingExit, startServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";

const tomlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "se-config-")), "config.toml");
  writeFileSync(file, text);
  return file;
};

describe("configuration", () => {
  it("uses the document's ScriptEngineConfig defaults", () => {
    const { config } = loadConfig({ argv: [], env: {} });
    expect(config.maxCacheSize).toBe(1000);
    expect(config.defaultExecutionTimeoutMs).toBe(30_000);
    expect(config.maxSourceSize).toBe(1024 * 1024);
    expect(config.enableCaching).toBe(true);
    expect(config.server.grpcAddress).toBe("127.0.0.1:50051");
    expect(config.server.httpAddress).toBe("127.0.0.1:8080");
  });

  it("layers file, then environment, then flags", () => {
    const file = tomlFile(`max_cache_size = 10\nmax_source_size = 2048\n[pool]\nworkers = 3\n[resource_limits]\nmax_execution_time = "90s"\n`);
    const { config, sources } = loadConfig({
      argv: ["--config", file, "--set", "pool.workers=5"],
      env: { SCRIPTENGINE_MAX_CACHE_SIZE: "20" },
    });
    expect(config.maxCacheSize).toBe(20);
    expect(config.maxSourceSize).toBe(2048);
    expect(config.pool.workers).toBe(5);
    expect(config.resourceLimits.maxExecutionTimeMs).toBe(90_000);
    expect(sources).toMatchObject({ max_cache_size: "env", max_source_size: "file", "pool.workers": "flag" });
  });

  it.each([
    [`max_cach_size = 1`, "max_cach_size", "unknown key"],
    [`max_cache_size = "lots"`, "max_cache_size", "expected an integer"],
    [`[pool]\nworkers = -1`, "pool.workers", "at least 0"],
    [`default_execution_timeout = 30`, "default_execution_timeout", "duration"],
    [`security_level = "root"`, "security_level", "safe | production | development"],
    [`[server]\ngrpc_address = "nowhere"`, "server.grpc_address", "host:port"],
    [`[[auth.principals]]\nname = "a"\ntoken = "short"`, "auth.principals[0].token", "16 characters"],
    [`[[auth.principals]]\nname = "a"\ntoken = "a-token-0123456789"\n[[auth.principals]]\nname = "a"\ntoken = "b-token-0123456789"`, "auth.principals[1].name", "given to two principals"],
    [`[[auth.principals]]\nname = "a"\ntoken = "tökén-0123456789abcdef"`, "auth.principals[0].token", "visible ASCII"],
    [`[[auth.principals]]\nname = "a"\ntoken = "spaced-token-0123456789 "`, "auth.principals[0].token", "visible ASCII"],
    [`[server]\ntls_cert_file = "/x.pem"`, "server.tls_key_file", "both"],
    [`this is = not toml =`, "config.toml", "not valid TOML"],
    [`[server]\ncors_origins = ["https://app.example.com", "*"]`, "server.cors_origins", "no auth.principals are configured"],
  ])("rejects %j naming %s", (toml, key, why) => {
    const file = tomlFile(toml);
    expect(() => loadConfig({ argv: ["--config", file], env: {} })).toThrowError(
      expect.objectContaining({ message: expect.stringContaining(why), key: expect.stringContaining(key) }),
    );
  });

  it('allows cors_origins "*" once principals are configured (callers then need credentials)', () => {
    const file = tomlFile(`[server]\ncors_origins = ["*"]\n[[auth.principals]]\nname = "ops"\ntoken = "ops-token-0123456789"\n`);
    expect(loadConfig({ argv: ["--config", file], env: {} }).config.server.corsOrigins).toEqual(["*"]);
  });

  it("rejects a token_env whose value could never authenticate, naming the key", () => {
    const file = tomlFile(`[[auth.principals]]\nname = "ops"\ntoken_env = "OPS_TOKEN"\n`);
    expect(() => loadConfig({ argv: ["--config", file], env: { OPS_TOKEN: "ops-token-0123456789\n" } })).toThrowError(
      expect.objectContaining({ key: "auth.principals[0].token_env", message: expect.stringContaining("visible ASCII") }),
    );
    expect(loadConfig({ argv: ["--config", file], env: { OPS_TOKEN: "ops-token-0123456789" } }).config.auth.principals).toHaveLength(1);
  });

  it("rejects a misspelt permission instead of granting nothing", () => {
    const file = tomlFile(`[[auth.principals]]\nname = "ops"\ntoken = "ops-token-0123456789"\npermissions = ["tool:http"]\n`);
    expect(() => loadConfig({ argv: ["--config", file], env: {} })).toThrow(/auth\.principals\[0\]\.permissions: unknown permission "tool:http" \(known: .*tools:http/);
    const ok = tomlFile(`[[auth.principals]]\nname = "ops"\ntoken = "ops-token-0123456789"\npermissions = ["scripts:delete", "profile", "*"]\n`);
    expect(loadConfig({ argv: ["--config", ok], env: {} }).config.auth.principals[0]?.permissions).toEqual(["scripts:delete", "profile", "*"]);
  });

  it("rejects unknown SCRIPTENGINE_ variables and bad --set values", () => {
    expect(() => loadConfig({ env: { SCRIPTENGINE_POOL_WORKRS: "2" } })).toThrow(/SCRIPTENGINE_POOL_WORKRS: unknown environment variable/);
    // The SDKs' token and a principal's own token_env live in the same environment: not config keys, not errors.
    const file = tomlFile(`[[auth.principals]]\nname = "ops"\ntoken_env = "SCRIPTENGINE_OPS_TOKEN"\npermissions = ["admin"]\n`);
    const { config } = loadConfig({ argv: ["--config", file], env: { SCRIPTENGINE_TOKEN: "t".repeat(20), SCRIPTENGINE_OPS_TOKEN: "o".repeat(20) } });
    expect(config.auth.principals.map((p) => p.name)).toEqual(["ops"]);
    expect(() => loadConfig({ argv: ["--set", "enable_caching=maybe"], env: {} })).toThrow(/enable_caching: expected true or false/);
    for (const odd of ["0x10", "0b11", " 4", ""]) {
      expect(() => loadConfig({ argv: ["--set", `pool.workers=${odd}`], env: {} })).toThrow(/pool\.workers: expected an integer/);
    }
    expect(loadConfig({ argv: ["--set", "pool.workers=3"], env: {} }).config.pool.workers).toBe(3);
  });

  it("the README's configuration example loads as written", () => {
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    const example = /```toml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("[[auth.principals]]");
    const { config } = loadConfig({ argv: ["--config", tomlFile(example!)], env: { BILLING_TOKEN: "b".repeat(20), OPS_TOKEN: "o".repeat(20) } });
    expect(config.auth.principals.map((p) => p.name)).toEqual(["billing-service", "ops", "report-service"]);
    expect(config.auth.principals[2].clientCertNames).toEqual(["reports.internal", "spiffe://example.com/reports"]);
    expect(config.tools.httpAllowList).toContain("api.example.com");
  });

  it("refuses a duration past what a timer can hold (~24 days), which Node would run after 1 ms", () => {
    for (const value of ["1000h", "9".repeat(400) + "h"]) {
      expect(() => loadConfig({ argv: ["--set", `server.shutdown_grace=${value}`], env: {} })).toThrow(/server\.shutdown_grace: must be at most 2147483647 ms/);
    }
    expect(loadConfig({ argv: ["--set", "server.shutdown_grace=596h"], env: {} }).config.server.shutdownGraceMs).toBe(596 * 3_600_000);
  });

  it("says a duration's bounds and value with units, as one is written (bare milliseconds are refused)", () => {
    for (const [set, says] of [
      ["discovery.ttl=500ms", "discovery.ttl: must be at least 1s, got 500ms"],
      ["discovery.ttl=2h", "discovery.ttl: must be at most 1h, got 2h"],
      ["default_execution_timeout=0s", "default_execution_timeout: must be at least 1ms, got 0s"],
      ["health_check.interval=0ms", "health_check.interval: must be at least 100ms, got 0ms"],
      ["pool.worker_kill_window=1441m", "pool.worker_kill_window: must be at most 24h, got 1441m"],
      // Checked as written, before rounding to whole milliseconds (these passed as 1s and 1h).
      ["discovery.ttl=0.9995s", "discovery.ttl: must be at least 1s, got 0.9995s"],
      ["discovery.ttl=3600.0004s", "discovery.ttl: must be at most 1h, got 3600.0004s"],
    ]) {
      expect(() => loadConfig({ argv: ["--set", set!], env: {} })).toThrow(`config: ${says}`);
    }
    // A count's bounds stay bare numbers.
    expect(() => loadConfig({ argv: ["--set", "pool.max_worker_kills=-1"], env: {} })).toThrow("config: pool.max_worker_kills: must be at least 0, got -1");
  });

  it("parses durations with units only", () => {
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("2m")).toBe(120_000);
    expect(parseDuration("10")).toBeUndefined();
  });

  it("the server exits 2 with one clear line for a bad config", async () => {
    const file = tomlFile(`[pool]\nmax_queue = "many"\n`);
    const { code, stderr } = await runServerExpectingExit(["--config", file]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe('scriptengine: config: pool.max_queue: expected an integer, got "many"');
  });

  it.each(["--grpc-address", "--http-address"])("an address already in use (%s) exits 1 with one line naming it", async (flag) => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", () => r()));
    const busy = `127.0.0.1:${(holder.address() as AddressInfo).port}`;
    try {
      const other = flag === "--grpc-address" ? "--http-address" : "--grpc-address";
      const dataDir = mkdtempSync(join(tmpdir(), "se-busy-"));
      const { code, stderr } = await runServerExpectingExit([flag, busy, other, "127.0.0.1:0", "--data-dir", dataDir]);
      expect(code).toBe(1);
      const key = flag === "--grpc-address" ? "server.grpc_address" : "server.http_address";
      const lines = stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
      expect(lines).toEqual([`scriptengine: cannot listen on ${busy} (${key}): the address is already in use`]);
      expect(stderr).not.toMatch(/^E /m);
    } finally {
      holder.close();
    }
  });

  it("a data directory another server holds, a file, or a store that is no database: exit 1 with one line naming server.data_dir", async () => {
    const addresses = ["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0"];
    const first = await startServer();
    try {
      const { code, stderr } = await runServerExpectingExit([...addresses, "--data-dir", first.dataDir]);
      expect(code).toBe(1);
      const lines = stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
      expect(lines).toEqual([`scriptengine: cannot use ${first.dataDir} (server.data_dir): another running server holds it (one server per data directory)`]);
      // The first server goes on serving, undisturbed.
      expect((await clientFor(ScriptService, "grpc-js", first).runScript({ source: "6 * 7" })).result?.returnValue?.kind.value).toBe(42);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    // Once it has stopped, the directory is free again.
    const again = await startServer({ dataDir: first.dataDir });
    expect(await again.stop()).toBe(0);

    const file = join(mkdtempSync(join(tmpdir(), "se-datadir-")), "a-file");
    writeFileSync(file, "not a directory");
    const notDir = await runServerExpectingExit([...addresses, "--data-dir", file]);
    const oneLine = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
    expect([notDir.code, oneLine(notDir.stderr)]).toEqual([1, [expect.stringMatching(/^scriptengine: cannot use .*a-file \(server\.data_dir\): it is not a directory$/)]]);

    const corrupt = mkdtempSync(join(tmpdir(), "se-datadir-"));
    writeFileSync(join(corrupt, "scriptengine.db"), "x".repeat(4096));
    const bad = await runServerExpectingExit([...addresses, "--data-dir", corrupt]);
    expect([bad.code, oneLine(bad.stderr)]).toEqual([1, [`scriptengine: cannot use ${corrupt} (server.data_dir): scriptengine.db: file is not a database; restore it from a backup`]]);
  });

  it.skipIf(!existsSync("/proc/self"))("a data directory under /proc (whose mkdir Node's recursive mode retries forever): exit 1 with one line, at once", async () => {
    // Spawned here with a bound: the fault spun deaf to SIGTERM, so only SIGKILL ends it.
    const proc = spawn(process.execPath, [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", "/proc/nope"], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => proc.once("exit", res));
    const code = await Promise.race([exited, new Promise<"hung">((res) => setTimeout(() => res("hung"), 10_000))]);
    if (code === "hung") proc.kill("SIGKILL");
    expect(code).toBe(1);
    expect(stderr.split("\n").filter((l) => l.startsWith("scriptengine:"))).toEqual(["scriptengine: cannot use /proc/nope (server.data_dir): ENOENT: no such file or directory, mkdir '/proc/nope'"]);
  });

  it("the server exits 2 for an unknown flag", async () => {
    const { code, stderr } = await runServerExpectingExit(["--grpc-adress", "x"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/grpc-adress/);
  });
});
