// Callers and trust through the real server: the SecurityContext is a claim clamped to the
// authenticated principal; tools need the level and the permission; http follows the allow-list;
// fs stays inside working_directory; refusals emit SecurityViolation events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { ExecutionResultSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { firstEventDuring } from "../helpers/events.ts";
import { principalsToml } from "../helpers/principals.ts";

const SAFE = "safe-token-0123456789abcdef";
const PROD = "prod-token-0123456789abcdef";
const DEV = "dev-token-0123456789abcdef";
const OPS = "ops-token-0123456789abcdef";
const PLAIN = "plain-prod-token-0123456789abcdef";

let server: TestServer;
let web: Server;
let webPort = 0;
let workDir = "";

beforeAll(async () => {
  web = createServer((req, res) => {
    const answer = () => res.end(JSON.stringify({ path: req.url, traceparent: req.headers.traceparent ?? null }));
    if (req.url?.startsWith("/slow")) setTimeout(answer, 1500);
    else answer();
  });
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", () => r()));
  webPort = (web.address() as { port: number }).port;
  workDir = mkdtempSync(join(tmpdir(), "se-work-"));
  mkdirSync(join(workDir, "sub"));
  writeFileSync(join(workDir, "sub", "data.txt"), "inside");
  writeFileSync(join(workDir, "..dots"), "a name that starts with two dots is inside");
  symlinkSync("/etc", join(workDir, "escape"));
  server = await startServer({
    toml: `
[tools]
http_allow_list = ["127.0.0.1"]
fs_roots = ["${workDir}"]

${principalsToml(
  { name: "untrusted", token: SAFE },
  { name: "service", token: PROD, level: "production", permissions: ["tools:http"] },
  { name: "ops", token: OPS, level: "development", permissions: ["admin"] },
  { name: "plain", token: PLAIN, level: "production" },
  { name: "developer", token: DEV, level: "development", permissions: ["tools:http", "tools:fs", "profile"] },
)}`,
  });
});
afterAll(async () => {
  await server.stop();
  web.close();
});

const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const scripts = () => clientFor(ScriptService, "grpc-js", server);

describe("a request's own resource limits only tighten", () => {
  const spin = (ms = 800) => `const end = Date.now() + ${ms}; let n = 0; while (Date.now() < end) n++; 'spun'`;
  const limited = (resourceLimits: object, extra: object = {}, ms?: number) => ({ source: spin(ms), context: { timeout: durationFromMs(4000), resourceLimits, ...extra } });

  it("a value that could only loosen or means nothing is INVALID_ARGUMENT naming its field", async () => {
    const cases: [object, string][] = [
      [{ maxCpuPercentage: -5 }, "max_cpu_percentage"],
      [{ maxCpuPercentage: 0 }, "max_cpu_percentage"],
      [{ maxCpuPercentage: Number.NaN }, "max_cpu_percentage"],
      [{ maxMemoryBytes: 1n }, "max_memory_bytes"],
      [{ maxExecutionTime: { seconds: 0n, nanos: 0 } }, "max_execution_time"],
      [{ operationTimeout: { seconds: -1n, nanos: 0 } }, "operation_timeout"],
      [{ maxConcurrentOperations: 0n }, "max_concurrent_operations"],
    ];
    for (const [rl, name] of cases) {
      const f = await failure(scripts().runScript(limited(rl), as(SAFE)));
      expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", `context.resource_limits.${name}`]);
    }
  });

  it("max_cpu_percentage tightens the CPU budget (Safe grants 50 % of the wall time)", async () => {
    expect((await scripts().runScript(limited({}), as(SAFE))).result?.success).toBe(true);
    // 5 % of its 4 s is 200 ms, which spinning 1.8 s passes with a ninth of a core (10 % and 800 ms needed
    // half of one, which a loaded machine did not give it: it ended within the budget); without the
    // request's 5 % it stays within Safe's 2000 ms even on a whole core.
    const f = await failure(scripts().runScript(limited({ maxCpuPercentage: 5 }, {}, 1800), as(SAFE)));
    expect([f.code, f.reason]).toEqual(["DeadlineExceeded", "TIMEOUT"]);
  });

  it("max_network_requests and operation_timeout tighten the http tool", async () => {
    const prod = { availableTools: ["http"], securityContext: { securityLevel: SecurityLevel.PRODUCTION } };
    const twice = `export default async (a, ctx) => {
      const out = [(await ctx.tools.http({ url: "http://127.0.0.1:${webPort}/one" })).status];
      try { await ctx.tools.http({ url: "http://127.0.0.1:${webPort}/two" }); out.push("second"); } catch (e) { out.push(e.message); }
      return out;
    }`;
    const { result } = await scripts().runScript({ source: twice, context: { ...prod, resourceLimits: { maxNetworkRequests: 1n } } }, as(PROD));
    const v = (toJson(ExecutionResultSchema, result!) as { returnValue: [number, string] }).returnValue;
    expect(v[0]).toBe(200);
    expect(v[1]).toBe("tool \"http\" failed: http: more than 1 request in one execution (limit 1: resource_limits.max_network_requests, the configuration's or the request's)");
    const slow = `export default async (a, ctx) => { try { await ctx.tools.http({ url: "http://127.0.0.1:${webPort}/slow" }); return "answered"; } catch (e) { return e.message; } }`;
    const timed = await scripts().runScript({ source: slow, context: { ...prod, resourceLimits: { operationTimeout: durationFromMs(200) } } }, as(PROD));
    expect((toJson(ExecutionResultSchema, timed.result!) as { returnValue: string }).returnValue).toMatch(/timed out/);
  });
});

describe("security levels and permissions", () => {
  it("asking for a level above the principal's is PERMISSION_DENIED and announced", async () => {
    let f: Awaited<ReturnType<typeof failure>> | undefined;
    const event = await firstEventDuring(server, "security_violation", as(OPS).headers, async () => {
      f = await failure(
        scripts().runScript({ source: "1", context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } }, as(SAFE)),
      );
    });
    expect([f?.code, f?.reason, f?.metadata.max_level]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "safe"]);
    expect(event.event.case === "securityViolation" && event.event.value.principal).toBe("untrusted");
    expect(event.event.case === "securityViolation" && event.event.value.peer).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
  });

  it("a security level the contract does not define is INVALID_ARGUMENT naming the field, on both doors", async () => {
    for (const client of [scripts(), clientFor(ScriptService, "connect", server)]) {
      const f = await failure(client.runScript({ source: "1", context: { securityContext: { securityLevel: 99 as SecurityLevel } } }, as(OPS)));
      expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "context.security_context.security_level"]);
      expect(f.err.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("context.security_context.security_level");
    }
    // Unspecified is still the server's default.
    const { result } = await scripts().runScript({ source: "1", context: { securityContext: { securityLevel: SecurityLevel.UNSPECIFIED } } }, as(SAFE));
    expect(result?.metadata.security_level.kind.value).toBe("safe");
  });

  it("a permission the principal does not hold is PERMISSION_DENIED", async () => {
    const f = await failure(scripts().runScript({ source: "1", context: { securityContext: { permissions: ["admin"] } } }, as(PROD)));
    expect([f.code, f.metadata.permission]).toEqual(["PermissionDenied", "admin"]);
  });

  it("the http tool is refused at Safe level, and unknown tools are NOT_FOUND", async () => {
    const f = await failure(scripts().runScript({ source: "1", context: { availableTools: ["http"] } }, as(SAFE)));
    expect([f.code, f.metadata.tool]).toEqual(["PermissionDenied", "http"]);
    const g = await failure(scripts().runScript({ source: "1", context: { availableTools: ["teleport"] } }, as(SAFE)));
    expect([g.code, g.reason]).toEqual(["NotFound", "TOOL_NOT_FOUND"]);
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      const h = await failure(scripts().runScript({ source: "1", context: { availableTools: [name] } }, as(SAFE)));
      expect([name, h.code, h.reason]).toEqual([name, "NotFound", "TOOL_NOT_FOUND"]);
    }
  });

  it("Production reaches allow-listed hosts through the http tool and nothing else", async () => {
    const source = `export default async (args, ctx) => {
      const ok = await ctx.tools.http({ url: "http://127.0.0.1:${webPort}/hello" });
      let refused = "";
      try { await ctx.tools.http({ url: "http://localhost:${webPort}/" }); } catch (e) { refused = e.name + ": " + e.message; }
      return { status: ok.status, body: JSON.parse(ok.body).path, refused };
    }`;
    const { result } = await scripts().runScript(
      { source, context: { availableTools: ["http"], securityContext: { securityLevel: SecurityLevel.PRODUCTION } } },
      as(PROD),
    );
    const json = toJson(ExecutionResultSchema, result!) as { returnValue: { status: number; body: string; refused: string }; resourceUsage: { networkIoBytes: string } };
    expect(result?.success).toBe(true);
    expect(json.returnValue.status).toBe(200);
    expect(json.returnValue.body).toBe("/hello");
    expect(json.returnValue.refused).toMatch(/^SecurityError: .*allow-list/);
    expect(Number(json.resourceUsage.networkIoBytes)).toBeGreaterThan(0);
    // Left uncaught, the refusal is a security violation, not a script error.
    const f = await failure(scripts().runScript(
      { source: `export default (a, ctx) => ctx.tools.http({ url: "http://localhost:${webPort}/" })`, context: { availableTools: ["http"], securityContext: { securityLevel: SecurityLevel.PRODUCTION } } },
      as(PROD),
    ));
    expect([f.code, f.reason]).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    expect(f.err.rawMessage).toMatch(/allow-list/);
  });

  it("calling a tool not listed in available_tools is PERMISSION_DENIED and announced as an escape attempt", async () => {
    const f = await failure(
      scripts().runScript(
        { source: `export default async (a, ctx) => ctx.tools.call("http", { url: "http://127.0.0.1:${webPort}/" })`, context: { securityContext: { securityLevel: SecurityLevel.PRODUCTION } } },
        as(PROD),
      ),
    );
    expect([f.code, f.reason]).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    expect(f.err.rawMessage).toMatch(/not available/);
  });

  it("Development reads inside working_directory only", async () => {
    const source = `export default async (a, ctx) => {
      const file = await ctx.tools.fs({ op: "read", path: "sub/data.txt" });
      const dots = await ctx.tools.fs({ op: "read", path: "..dots" });
      const list = await ctx.tools.fs({ op: "list", path: "." });
      const errors = [];
      // Outside paths that exist and that do not are refused alike: no probing of the host's files.
      for (const path of ["../../../etc/passwd", "escape/passwd", "/etc/passwd", "../../no-such-dir/x", "/no-such-dir/x", "sub/../../x"]) {
        try { await ctx.tools.fs({ op: "read", path }); errors.push("read " + path); } catch (e) { errors.push(e.name + ": " + e.message); }
      }
      let missing = "";
      try { await ctx.tools.fs({ op: "read", path: "sub/none.txt" }); } catch (e) { missing = e.name + ": " + e.message; }
      return { content: file.content, dots: dots.content, names: list.map((e) => e.name).sort(), errors, missing };
    }`;
    const { result } = await scripts().runScript(
      { source, context: { availableTools: ["fs"], workingDirectory: workDir, securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } },
      as(DEV),
    );
    const v = (toJson(ExecutionResultSchema, result!) as { returnValue: { content: string; dots: string; names: string[]; errors: string[]; missing: string } }).returnValue;
    expect(v.content).toBe("inside");
    expect(v.dots).toMatch(/is inside/);
    expect(v.names).toEqual(["..dots", "escape", "sub"]);
    expect(v.errors).toHaveLength(6);
    for (const e of v.errors) expect(e).toMatch(/^SecurityError: .*outside the working directory/);
    expect(v.missing).toMatch(/^ToolError: .*no such file/);
  });

  it("a working_directory outside tools.fs_roots is refused: the request cannot choose the host's root", async () => {
    const source = `export default async (a, ctx) => { try { return (await ctx.tools.fs({ op: "list", path: "." })).map((e) => e.name); } catch (e) { return e.name + ": " + e.message; } }`;
    const at = (workingDirectory: string) =>
      scripts()
        .runScript({ source, context: { availableTools: ["fs"], workingDirectory, securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } }, as(DEV))
        .then(({ result }) => (toJson(ExecutionResultSchema, result!) as { returnValue: unknown }).returnValue);
    expect(await at(join(workDir, "sub"))).toEqual(["data.txt"]);
    // Outside directories that exist and that do not are refused alike.
    for (const outside of ["/", join(workDir, ".."), join(workDir, "escape"), "/no-such-dir", join(workDir, "..", "no-such-dir")]) {
      expect(await at(outside)).toMatch(/^SecurityError: .*outside tools\.fs_roots/);
    }
  });

  it("a CPU profile needs the profile permission, and is a DevTools .cpuprofile when granted", async () => {
    // Refused like every other claim: the principal in its ErrorInfo, and announced.
    let f: Awaited<ReturnType<typeof failure>> | undefined;
    const event = await firstEventDuring(server, "security_violation", as(OPS).headers, async () => {
      f = await failure(scripts().runScript({ source: "1", context: { collectCpuProfile: true } }, as(PROD)));
    });
    expect([f?.code, f?.reason, f?.metadata.principal, f?.metadata.permission]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "service", "profile"]);
    expect(event.event.case === "securityViolation" && [event.event.value.kind, event.event.value.principal]).toEqual(["permission_denied", "service"]);
    const { result } = await scripts().runScript(
      { source: "let s = 0; for (let i = 0; i < 1e6; i++) s += i; s", context: { collectCpuProfile: true } },
      as(DEV),
    );
    const profile = JSON.parse(result!.cpuProfile);
    expect(Array.isArray(profile.nodes)).toBe(true);
    expect(typeof profile.startTime).toBe("number");
  });

  it("the script sees no host: no process, require or Function escape", async () => {
    const { result } = await scripts().runScript(
      {
        source: `[typeof process, typeof require, typeof globalThis.fetch, (() => { try { return typeof (function(){}).constructor("return process")(); } catch (e) { return "threw"; } })()]`,
      },
      as(SAFE),
    );
    const [proc, req, fetchType, escaped] = (toJson(ExecutionResultSchema, result!) as { returnValue: string[] }).returnValue;
    expect([proc, req, fetchType]).toEqual(["undefined", "undefined", "undefined"]);
    // The Function constructor either throws or yields the isolate's (absent) process, never the host's.
    expect(["undefined", "threw"]).toContain(escaped);
  });
});

describe("registered tools reach the host only with the caller's rights", () => {
  it("a migrated tool that uses http needs the caller's tools:http permission", async () => {
    const migrations = clientFor(MigrationService, "grpc-js", server);
    const migrated = await migrations.migrateTool(
      { toolName: "http_fetch", config: { securityLevel: SecurityLevel.PRODUCTION, backupOriginal: true, validation: { skipChecks: ["smoke_run"] } } },
      as(OPS),
    );
    expect(migrated.result?.errors).toEqual([]);
    const context = { availableTools: ["http_fetch"], securityContext: { securityLevel: SecurityLevel.PRODUCTION } };
    const f = await failure(scripts().runScript({ source: "1", context }, as(PLAIN)));
    expect([f.code, f.reason, f.metadata.tool]).toEqual(["PermissionDenied", "SECURITY_VIOLATION", "http_fetch"]);
    expect(f.err.rawMessage).toMatch(/tools:http/);
    // A caller holding tools:http may use it; the tool's network I/O counts toward the caller's usage.
    const viaTool = await scripts().runScript(
      { source: `export default async (a, ctx) => (await ctx.tools.http_fetch({ url: "http://127.0.0.1:${webPort}/via-tool" })).body`, context },
      as(PROD),
    );
    expect(viaTool.result?.success).toBe(true);
    expect(JSON.parse(String(viaTool.result?.returnValue?.kind.value)).path).toBe("/via-tool");
    expect(Number(viaTool.result?.resourceUsage?.networkIoBytes)).toBeGreaterThan(0);
    // The caller's network budget covers the tool's requests: one request granted, one made by the tool.
    const twice = `export default async (a, ctx) => {
      const out = [JSON.parse((await ctx.tools.http_fetch({ url: "http://127.0.0.1:${webPort}/one" })).body).path];
      try { await ctx.tools.http_fetch({ url: "http://127.0.0.1:${webPort}/two" }); out.push("second"); } catch (e) { out.push(e.message); }
      return out;
    }`;
    const budget = await scripts().runScript({ source: twice, context: { ...context, resourceLimits: { maxNetworkRequests: 1n } } }, as(PROD));
    const [first, second] = (toJson(ExecutionResultSchema, budget.result!) as { returnValue: [string, string] }).returnValue;
    expect(first).toBe("/one");
    expect(second).toMatch(/http: more than 1 request in one execution \(limit 1: resource_limits\.max_network_requests, the configuration's or the request's\)/);
    // And a Safe caller may not use it at all: it is not pure.
    expect((await failure(scripts().runScript({ source: "1", context: { availableTools: ["http_fetch"] } }, as(SAFE)))).code).toBe("PermissionDenied");
  });
});

describe("clamp mode", () => {
  it("clamps the level to the principal's instead of refusing", async () => {
    const clampServer = await startServer({
      toml: `[auth]\non_excess = "clamp"\n${principalsToml({ name: "u", token: SAFE })}`,
    });
    try {
      const { result } = await clientFor(ScriptService, "connect", clampServer).runScript(
        { source: "1", context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } },
        as(SAFE),
      );
      expect(result?.metadata.security_level.kind.value).toBe("safe");
    } finally {
      await clampServer.stop();
    }
  });

  it("says what it clamped: a SecurityViolation per call and a warn line a minute per principal, what was asked and what was granted", async () => {
    const clampServer = await startServer({
      toml: `[auth]\non_excess = "clamp"\n${principalsToml({ name: "u", token: SAFE }, { name: "ops", token: OPS, level: "development", permissions: ["admin"] })}`,
    });
    try {
      const asked = { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT, permissions: ["tools:http"] }, availableTools: ["http"], collectCpuProfile: true };
      let result: Awaited<ReturnType<ReturnType<typeof scripts>["runScript"]>>["result"];
      const event = await firstEventDuring(clampServer, "security_violation", as(OPS).headers, async () => {
        ({ result } = await clientFor(ScriptService, "connect", clampServer).runScript({ source: "1", context: { ...asked, executionId: "clamped-1" } }, as(SAFE)));
      });
      expect([result?.success, result?.metadata.security_level.kind.value, result?.cpuProfile]).toEqual([true, "safe", ""]);
      const v = event.event.case === "securityViolation" ? event.event.value : undefined;
      expect([v?.kind, v?.principal, v?.executionId, v?.securityLevel]).toEqual(["clamped", "u", "clamped-1", SecurityLevel.SAFE]);
      expect(v?.peer).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/); // the HTTP port's caller
      expect(v?.detail).toMatch(/level development/);
      expect(v?.detail).toMatch(/"tools:http" permission/);
      expect(v?.detail).toMatch(/CPU profile/);
      expect(v?.detail).toMatch(/ran at level safe/);
      // A call that asks for nothing more says nothing.
      await clientFor(ScriptService, "connect", clampServer).runScript({ source: "1" }, as(SAFE));
      let lines: { principal: string; execution_id: string; asked: string[]; granted: { level: string } }[] = [];
      for (let i = 0; i < 50 && lines.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        lines = clampServer.logs().split("\n").filter((l) => l.includes("clamped to its principal")).map((l) => JSON.parse(l));
      }
      expect(lines).toHaveLength(1);
      expect([lines[0].principal, lines[0].execution_id, lines[0].asked.length, lines[0].granted.level]).toEqual(["u", "clamped-1", 4, "safe"]);
      expect(clampServer.logs()).not.toContain(SAFE);
      // The same principal clamped again within the minute: its event still comes, its line does not.
      const again = await firstEventDuring(clampServer, "security_violation", as(OPS).headers, async () => {
        for (let i = 2; i <= 4; i++) await clientFor(ScriptService, "connect", clampServer).runScript({ source: "1", context: { ...asked, executionId: `clamped-${i}` } }, as(SAFE));
      });
      expect(again.event.case === "securityViolation" ? [again.event.value.kind, again.event.value.executionId] : []).toEqual(["clamped", "clamped-2"]);
      await new Promise((r) => setTimeout(r, 200));
      expect(clampServer.logs().split("\n").filter((l) => l.includes("clamped to its principal"))).toHaveLength(1);
    } finally {
      await clampServer.stop();
    }
  });
});
