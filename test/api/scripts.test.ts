// ScriptService through the real server: compile, store, execute, run ad hoc; errors and limits
// with their gRPC codes; the same answers over grpc-js and Connect.
import { describe, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { toBinary, toJson } from "@bufbuild/protobuf";
import { ListScriptsResponseSchema, ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ExecutionResultSchema, ScriptKind, ScriptLanguage, ExecutionErrorKind } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { childPids, cpuMsOf } from "../helpers/procs.ts";

const server = serverForTests({ args: ["--set", "max_source_size=2000", "--set", "pool.workers=2"] });

const grpc = () => clientFor(ScriptService, "grpc-js", server);
const connect = () => clientFor(ScriptService, "connect", server);


const GREET = `export default async function main(args, ctx) {
  console.log("hello", args.name);
  console.error("env", ctx.env.MODE);
  return { greeting: "hello " + args.name, user: ctx.user?.displayName ?? null };
}`;

describe("compile and execute", () => {
  it("stores a module, executes it with arguments, environment and user, on both doors", async () => {
    const compiled = await grpc().compileScript({ source: GREET, context: { scriptId: "greet", name: "greet.js" } });
    expect(compiled.script).toMatchObject({ scriptId: "greet", version: 1, kind: ScriptKind.MODULE, language: ScriptLanguage.JAVASCRIPT });
    expect(compiled.script?.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    for (const client of [grpc(), connect()]) {
      const { result } = await client.executeScript({
        scriptId: "greet",
        context: { arguments: { name: { kind: { case: "stringValue", value: "Ada" } } }, environment: { MODE: "test" }, userContext: { displayName: "Ada L." } },
      });
      expect(result?.success).toBe(true);
      expect(toJson(ExecutionResultSchema, result!)).toMatchObject({ returnValue: { greeting: "hello Ada", user: "Ada L." }, stdout: "hello Ada\n", stderr: "env test\n" });
      expect(result?.metadata.script_version.kind.value).toBe(1);
      expect(result?.metadata.security_level.kind.value).toBe("safe");
      expect(Number(result?.resourceUsage?.memoryBytes)).toBeGreaterThan(0);
    }
  });

  it("an argument, variable or user attribute named __proto__ reaches the script as data, on both doors", async () => {
    const source = `export default (args, ctx) => ({
      args: Object.keys(args), proto: args.__proto__ ?? null, own: Object.getPrototypeOf(args) === Object.prototype,
      env: Object.keys(ctx.env), attrs: Object.keys(ctx.user.attributes),
    })`;
    const str = (value: string) => ({ kind: { case: "stringValue" as const, value } });
    const struct = { kind: { case: "structValue" as const, value: { fields: { p: { kind: { case: "numberValue" as const, value: 1 } } } } } };
    for (const client of [grpc(), connect()]) {
      const { result } = await client.runScript({
        source,
        // Computed keys: own properties named __proto__ (a literal `__proto__:` would set the prototype).
        context: { arguments: { ["__proto__"]: struct, k: str("v") }, environment: { ["__proto__"]: "e" }, userContext: { attributes: { ["__proto__"]: "a" } } },
      });
      expect(toJson(ExecutionResultSchema, result!)).toMatchObject({
        success: true,
        returnValue: { args: ["__proto__", "k"], proto: { p: 1 }, own: true, env: ["__proto__"], attrs: ["__proto__"] },
      });
    }
  });

  it("re-compiling an id makes a new version; the old version stays executable", async () => {
    await grpc().compileScript({ source: "export default () => 1", context: { scriptId: "versions" } });
    const v2 = await grpc().compileScript({ source: "export default () => 2", context: { scriptId: "versions" } });
    expect(v2.script?.version).toBe(2);
    expect((await grpc().executeScript({ scriptId: "versions" })).result?.returnValue?.kind.value).toBe(2);
    expect((await grpc().executeScript({ scriptId: "versions", version: 1 })).result?.returnValue?.kind.value).toBe(1);
    const got = await grpc().getScript({ scriptId: "versions" });
    expect(got.script?.script?.version).toBe(2);
  });

  it("runs TypeScript with types stripped, and expression scripts", async () => {
    const ts = await grpc().runScript({
      source: "export default function main(args: { n: number }): number { const x: number = args.n * 2; return x; }",
      compilation: { language: ScriptLanguage.TYPESCRIPT },
      context: { arguments: { n: { kind: { case: "numberValue", value: 21 } } } },
    });
    expect(ts.result?.returnValue?.kind.value).toBe(42);
    const expr = await connect().runScript({ source: "const a = [1, 2, 3]; a.map((x) => x * x)" });
    expect((toJson(ExecutionResultSchema, expr.result!) as { returnValue: unknown }).returnValue).toEqual([1, 4, 9]);
  });

  it("an ad-hoc run reports and counts one cache lookup: a new source misses, the same source again hits", async () => {
    const metrics = async () => (await grpc().getMetrics({})).metrics!;
    const before = await metrics();
    const source = `"never seen ${Math.random()}".length`;
    expect((await grpc().runScript({ source })).result?.metadata.cache_hit?.kind.value).toBe(false);
    expect((await grpc().runScript({ source })).result?.metadata.cache_hit?.kind.value).toBe(true);
    const after = await metrics();
    expect([Number(after.cacheHits - before.cacheHits), Number(after.cacheMisses - before.cacheMisses)]).toEqual([1, 1]);
  });

  it("GetMetrics' cpu_usage counts the workers, where scripts spend their CPU", async () => {
    // The CPU the machine gave the workers, read from /proc: the run's cpu_percentage counts the time its
    // isolate ran (isolated-vm's cpuTime), which on a loaded machine is far more than the CPU it got.
    const workersCpuMs = () => childPids(server.proc.pid!).reduce((n, pid) => n + cpuMsOf(pid), 0);
    const before = workersCpuMs();
    const spin = await grpc().runScript({ source: "const end = Date.now() + 4000; let n = 0; while (Date.now() < end) n++; n > 0", context: { timeout: durationFromMs(10_000) } });
    expect(spin.result?.success).toBe(true);
    // Up to 4 s of a core within the last 10-11 s window; the server alone, idle meanwhile, would
    // show a few percent at most.
    const runCpuMs = workersCpuMs() - before;
    expect(runCpuMs).toBeGreaterThan(200);
    expect((await grpc().getMetrics({})).metrics!.cpuUsage).toBeGreaterThan((0.8 * runCpuMs * 100) / 11_000);
  });

  it("a script that throws is a successful RPC with success=false and a structured error", async () => {
    const { result } = await grpc().runScript({ source: "const x = 1;\nfunction f() { throw new RangeError('too far'); }\nf();" });
    expect(result?.success).toBe(false);
    expect(result?.error).toMatchObject({ kind: ExecutionErrorKind.SCRIPT_THREW, name: "RangeError", message: "too far", line: 2 });
    expect(result?.error?.stack).toContain("RangeError: too far");
    expect(result?.error?.stack).not.toMatch(/\/work\/|node:internal|src\/engine/);
  });

  it("a non-JSON return value is success=false with INVALID_RETURN_VALUE", async () => {
    const { result } = await grpc().runScript({ source: "export default () => () => 1" });
    expect(result?.success).toBe(false);
    expect(result?.error?.kind).toBe(ExecutionErrorKind.INVALID_RETURN_VALUE);
  });

  it("a return value nested deeper than 32 levels is INVALID_RETURN_VALUE; 32 levels arrive intact on every protocol", async () => {
    // ~50 levels is where protobuf decoders (here and in Python) stop reading a google.protobuf.Value.
    const nested = (depth: number) => `let v = "leaf"; for (let i = 0; i < ${depth}; i++) v = i % 2 ? [v] : { k: v, s: "[{" }; v`;
    for (const protocol of ["grpc-js", "connect-json"] as const) {
      const ok = await clientFor(ScriptService, protocol, server).runScript({ source: nested(32) });
      expect(ok.result?.success).toBe(true);
      const json = JSON.stringify(toJson(ExecutionResultSchema, ok.result!));
      expect(json.split('"leaf"').length).toBe(2);
    }
    for (const depth of [33, 60, 1000]) {
      const { result } = await grpc().runScript({ source: nested(depth) });
      expect(result?.success).toBe(false);
      expect(result?.error?.kind).toBe(ExecutionErrorKind.INVALID_RETURN_VALUE);
      expect(result?.error?.message).toMatch(/deeper than 32 levels/);
    }
  });

  it("the return value's cap holds on the wire too: numbers cost up to ~6x their JSON as a google.protobuf.Value", async () => {
    // 900 KB of JSON, under the 1 MiB cap, but ~5 MB as a Value: past what gRPC clients receive by default.
    const f = await failure(grpc().runScript({ source: "new Array(450000).fill(0)" }));
    expect([f.code, f.reason, f.metadata.resource]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "output"]);
    expect(f.err.rawMessage).toMatch(/as a google.protobuf.Value, over the 1048576-byte limit/);
    expect((await grpc().runScript({ source: "new Array(50000).fill(0).length" })).result?.returnValue?.kind.value).toBe(50000);
    const zeros = await grpc().runScript({ source: "new Array(50000).fill(0)" });
    expect(zeros.result?.success).toBe(true);
    const text = await grpc().runScript({ source: "'x'.repeat(900 * 1024)" }); // strings cost about their JSON
    expect(text.result?.success).toBe(true);
  });

  it("with stdout, stderr and the return value at their default caps, and a profile, a response fits the 4 MiB gRPC clients receive by default", async () => {
    const source = `export default () => {
      const line = "o".repeat(1023);
      for (let i = 0; i < 1100; i++) { console.log(line); console.error(line); }
      const end = Date.now() + 1000; let n = 0; while (Date.now() < end) n++;
      return "r".repeat(1048576 - 8); // at the cap both as JSON and as a Value (tag and length)
    }`;
    const { result } = await grpc().runScript({ source, context: { collectCpuProfile: true } });
    expect(result?.success).toBe(true);
    expect(result?.stdout).toMatch(/truncated/);
    expect(result?.stderr).toMatch(/truncated/);
    expect(result?.cpuProfile.length).toBeGreaterThan(0);
  });

  it("lists scripts with pagination", async () => {
    for (const id of ["page-a", "page-b", "page-c"]) await grpc().compileScript({ source: "1", context: { scriptId: id } });
    const ids: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await grpc().listScripts({ pageSize: 2, pageToken: token });
      ids.push(...page.scripts.map((s) => s.script!.scriptId));
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 20);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(["page-a", "page-b", "page-c", "greet", "versions"]));
    expect(new Set(ids).size).toBe(ids.length);
    expect((await failure(grpc().listScripts({ pageToken: "%%%" }))).code).toBe("InvalidArgument");
  });

  it("a page of ListScripts stays under ~2 MiB whatever page_size asks, with each script's source size", async () => {
    // 40 scripts of ~70 KB of metadata each: ~2.8 MB in all, more than one page holds.
    const metadata = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, "v".repeat(1024)]));
    for (let i = 0; i < 40; i++) await grpc().compileScript({ source: `${i} + 1`, context: { scriptId: `heavy-${String(i).padStart(2, "0")}`, metadata } });
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await grpc().listScripts({ pageSize: 1000, pageToken: token });
      const heavy = page.scripts.filter((s) => s.script!.scriptId.startsWith("heavy-"));
      expect(toBinary(ListScriptsResponseSchema, page).length).toBeLessThanOrEqual(2 * 1024 * 1024 + 100_000);
      for (const s of heavy) expect(Number(s.script!.sourceSize)).toBe(`${Number(s.script!.scriptId.slice(6))} + 1`.length);
      seen.push(...heavy.map((s) => s.script!.scriptId));
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 20);
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `heavy-${String(i).padStart(2, "0")}`));
  });
});

describe("errors", () => {
  it("a missing script is NOT_FOUND with SCRIPT_NOT_FOUND", async () => {
    for (const client of [grpc(), connect()]) {
      const f = await failure(client.executeScript({ scriptId: "nope" }));
      expect([f.code, f.reason, f.metadata.script_id]).toEqual(["NotFound", "SCRIPT_NOT_FOUND", "nope"]);
    }
  });

  it("a syntax error is INVALID_ARGUMENT with line and column", async () => {
    const f = await failure(grpc().compileScript({ source: "const a = 1;\nlet = ;", context: { scriptId: "broken" } }));
    expect([f.code, f.reason, f.metadata.line]).toEqual(["InvalidArgument", "COMPILATION_ERROR", "2"]);
    expect(Number(f.metadata.column)).toBeGreaterThan(0);
    expect((await failure(grpc().executeScript({ scriptId: "broken" }))).reason).toBe("SCRIPT_NOT_FOUND");
    const ts = await failure(grpc().compileScript({ source: "const a: number = 1;\nlet b: = 2;", context: { language: ScriptLanguage.TYPESCRIPT } }));
    expect([ts.code, ts.reason, ts.metadata.line, ts.metadata.column]).toEqual(["InvalidArgument", "COMPILATION_ERROR", "2", "8"]);
  });

  it("a plain script awaiting at its top level is told to be a module, at the await's line", async () => {
    const f = await failure(grpc().runScript({ source: "const x = 1;\nawait Promise.resolve(x)" }));
    expect([f.code, f.reason, f.metadata.line]).toEqual(["InvalidArgument", "COMPILATION_ERROR", "2"]);
    expect(f.err.rawMessage).toMatch(/await is only valid .* make it a module, e\.g\. `export default async/);
    const ok = await grpc().runScript({ source: "export default async () => await Promise.resolve(7)" });
    expect(ok.result?.success).toBe(true);
  });

  it("source over max_source_size is INVALID_ARGUMENT, exactly at it is accepted", async () => {
    const at = "// " + "x".repeat(2000 - 3 - 2) + "\n1";
    expect(Buffer.byteLength(at)).toBe(2000);
    expect((await grpc().compileScript({ source: at })).script?.sourceSize).toBe(2000n);
    const f = await failure(grpc().compileScript({ source: at + " " }));
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "source"]);
  });

  it("an invalid script id is INVALID_ARGUMENT naming the field", async () => {
    const f = await failure(grpc().compileScript({ source: "1", context: { scriptId: "../etc/passwd" } }));
    expect([f.code, f.metadata.field]).toEqual(["InvalidArgument", "context.script_id"]);
  });

  it("a timeout that is no valid Duration, or not positive, is INVALID_ARGUMENT naming the field", async () => {
    for (const timeout of [{ seconds: 1n, nanos: 1_000_000_000 }, { seconds: 1n, nanos: -1 }, { seconds: 10n ** 15n, nanos: 0 }, { seconds: -5n, nanos: 0 }]) {
      const f = await failure(grpc().runScript({ source: "1", context: { timeout } }));
      expect([f.code, f.reason, f.metadata.field], JSON.stringify(timeout, (_k, v) => (typeof v === "bigint" ? String(v) : v))).toEqual(["InvalidArgument", "VALIDATION_ERROR", "context.timeout"]);
    }
    const g = await failure(grpc().runScript({ source: "1", context: { resourceLimits: { maxExecutionTime: { seconds: 0n, nanos: -2_000_000_000 } } } }));
    expect(g.metadata.field).toBe("context.resource_limits.max_execution_time");
    const edge = await grpc().runScript({ source: "1", context: { timeout: { seconds: 2n, nanos: 999_999_999 } } });
    expect(edge.result?.success).toBe(true);
    // Positive under half a millisecond is still positive (the check is on what was asked, not on it
    // rounded to 0 ms): the run gets its millisecond, whether or not "1" finishes within it.
    for (const context of [{ timeout: { seconds: 0n, nanos: 400_000 } }, { resourceLimits: { maxExecutionTime: { seconds: 0n, nanos: 1 } } }]) {
      const reason = await grpc().runScript({ source: "1", context }).then(() => "ran", async (e: unknown) => (await failure(Promise.reject(e))).reason);
      expect(["ran", "TIMEOUT"]).toContain(reason);
    }
  });

  it("a script's name and metadata are bounded at their edges", async () => {
    const ok = await grpc().compileScript({
      source: "1",
      context: { name: "n".repeat(256), metadata: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`${i}`.padEnd(128, "k"), "v".repeat(1024)])) },
    });
    expect(Object.keys(ok.script?.metadata ?? {})).toHaveLength(64);
    const cases: [object, string][] = [
      [{ name: "n".repeat(257) }, "context.name"],
      [{ metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) }, "context.metadata"],
      [{ metadata: { ["k".repeat(129)]: "v" } }, "context.metadata"],
      [{ metadata: { k: "v".repeat(1025) } }, "context.metadata"],
    ];
    for (const [context, field] of cases) {
      const f = await failure(grpc().compileScript({ source: "1", context }));
      expect([f.code, f.metadata.field]).toEqual(["InvalidArgument", field]);
    }
  });

  it("RunScript holds its script id and name to the same bounds as a stored script's", async () => {
    const f = await failure(grpc().runScript({ source: "1", context: { scriptId: "x".repeat(129) } }));
    expect([f.code, f.metadata.field]).toEqual(["InvalidArgument", "context.script_id"]);
    const g = await failure(grpc().runScript({ source: "1", compilation: { name: "n".repeat(257) } }));
    expect([g.code, g.metadata.field]).toEqual(["InvalidArgument", "compilation.name"]);
    expect((await grpc().runScript({ source: "1", context: { scriptId: "x".repeat(128) }, compilation: { name: "n".repeat(256) } })).result?.success).toBe(true);
  });

  it("a caller-chosen execution_id is echoed back; one over 128 printable characters is INVALID_ARGUMENT", async () => {
    const id = `job/${"x".repeat(124)}`;
    expect((await grpc().runScript({ source: "1", context: { executionId: id } })).result?.executionId).toBe(id);
    for (const bad of [`${id}y`, "with space", "tab\there", "é"]) {
      const f = await failure(grpc().runScript({ source: "1", context: { executionId: bad } }));
      expect([f.code, f.metadata.field]).toEqual(["InvalidArgument", "context.execution_id"]);
    }
  });

  it("an argument number JSON cannot hold (NaN, ±Infinity: binary protobuf can) is INVALID_ARGUMENT naming the argument", async () => {
    for (const value of [Number.NaN, Infinity, -Infinity]) {
      const deep = { kind: { case: "listValue" as const, value: { values: [{ kind: { case: "numberValue" as const, value } }] } } };
      const f = await failure(grpc().runScript({ source: "1", context: { arguments: { ok: { kind: { case: "numberValue", value: 1 } }, bad: deep } } }));
      expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "context.arguments.bad"]);
    }
  });
});

describe("limits", () => {
  it("a script over its timeout is DEADLINE_EXCEEDED with TIMEOUT, and the server keeps serving", async () => {
    for (const source of ["while (true) {}", "export default async () => { await new Promise(() => {}); }"]) {
      const f = await failure(grpc().runScript({ source, context: { timeout: durationFromMs(300) } }));
      expect([f.code, f.reason, f.metadata.timeout_ms]).toEqual(["DeadlineExceeded", "TIMEOUT", "300"]);
    }
    expect((await grpc().runScript({ source: "40 + 2" })).result?.returnValue?.kind.value).toBe(42);
  });

  it("the RPC deadline bounds the script", async () => {
    const started = Date.now();
    const f = await failure(grpc().runScript({ source: "while (true) {}" }, { timeoutMs: 400 }));
    expect(f.code).toBe("DeadlineExceeded");
    expect(Date.now() - started).toBeLessThan(9000);
    // The script stops a little before the deadline, so the caller hears the server's own answer.
    const g = await failure(grpc().runScript({ source: "export default () => new Promise(() => {})" }, { timeoutMs: 2000 }));
    expect([g.code, g.reason]).toEqual(["DeadlineExceeded", "TIMEOUT"]);
  });

  it("a memory bomb is RESOURCE_EXHAUSTED with RESOURCE_EXCEEDED memory", async () => {
    const f = await failure(grpc().runScript({ source: "const a = []; while (true) a.push(new Array(1e5).fill(Math.random()));" }));
    expect([f.code, f.reason, f.metadata.resource]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "memory"]);
    expect((await grpc().runScript({ source: "'still fine'" })).result?.returnValue?.kind.value).toBe("still fine");
  });

  it("stdout is capped with a truncation marker", async () => {
    const { result } = await grpc().runScript({ source: "for (let i = 0; i < 200000; i++) console.log('line ' + i); 'done'" });
    expect(result?.success).toBe(true);
    expect(Buffer.byteLength(result!.stdout)).toBeLessThanOrEqual(1024 * 1024 + 200);
    expect(result?.stdout).toMatch(/truncated/);
  });
});
