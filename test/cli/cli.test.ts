// The `scriptengine` command end to end: the real binary against a real server. Exit codes,
// --json output, one-line errors with the server's reason.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, startServer, type TestServer } from "../helpers/server.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli, live } from "./helpers.ts";

let server: TestServer;
let dir: string;
let legacy: string;
const at = () => ["--address", server.grpc];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scriptengine-cli-"));
  legacy = join(dir, "legacy");
  cpSync(join(ROOT, "examples/legacy-tools"), legacy, { recursive: true });
  server = await startServer({ args: ["--set", "pool.workers=2", "--set", `tools.legacy_root=${legacy}`] });
  writeFileSync(join(dir, "twice.js"), `export default (args) => { console.log("doubling", args.n); return { twice: args.n * 2 }; }`);
  writeFileSync(join(dir, "greet.ts"), `export default (args: { name: string }): string => "hello " + args.name;`);
  writeFileSync(join(dir, "throws.js"), `export default () => { throw new TypeError("no such thing"); }`);
  writeFileSync(join(dir, "loop.js"), `export default () => { for (;;) {} }`);
  writeFileSync(join(dir, "any.js"), `export default async () => {\n  await Promise.any([Promise.reject(new Error("mirror 1 down")), Promise.reject(new Error("mirror 2 down"))]);\n}`);
  writeFileSync(join(dir, "caused.js"), `export default () => {\n  const low = new RangeError("port out of range");\n  throw new Error("cannot listen", { cause: low });\n}`);
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

describe("scripts", () => {
  it("run prints the script's output and value; --json gives the whole result", async () => {
    const r = await cli([...at(), "run", join(dir, "twice.js"), "--args", '{"n":21}']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('doubling 21\n{\n  "twice": 42\n}\n');
    expect(r.stderr).toMatch(/^ok in .* level safe/);

    const j = await cli([...at(), "--json", "run", join(dir, "twice.js"), "--args", '{"n":2}', "--level", "production"]);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ success: true, returnValue: { twice: 4 }, stdout: "doubling 2\n", scriptId: "adhoc" });
    expect(doc.metadata.security_level).toBe("production");
  });

  it("a .ts file runs as TypeScript, and `-` reads stdin", async () => {
    expect((await cli([...at(), "run", join(dir, "greet.ts"), "--args", '{"name":"Ada"}'])).stdout).toBe("hello Ada\n");
    const r = await cli([...at(), "run", "-"], { input: "6 * 7" });
    expect([r.code, r.stdout]).toEqual([0, "42\n"]);
  });

  it("a script that throws exits 1 with one line naming the kind and the error", async () => {
    const r = await cli([...at(), "run", join(dir, "throws.js")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^scriptengine: script failed \(SCRIPT_THREW\): TypeError: no such thing \(line 1:\d+\)$/m);
    const j = await cli([...at(), "--json", "run", join(dir, "throws.js")]);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).error).toMatchObject({ kind: "EXECUTION_ERROR_KIND_SCRIPT_THREW", name: "TypeError" });
  });

  it("a thrown error's causes follow it, a line each", async () => {
    const r = await cli([...at(), "run", join(dir, "caused.js")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^scriptengine: script failed \(SCRIPT_THREW\): Error: cannot listen \(line 3:\d+\)\n {2}caused by: RangeError: port out of range \(line 2:\d+\)$/m);
  });

  it("an AggregateError's errors follow it, a line each", async () => {
    const r = await cli([...at(), "run", join(dir, "any.js")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/: AggregateError: All promises were rejected\n {2}one of its errors: Error: mirror 1 down \(line 2:\d+\)\n {2}one of its errors: Error: mirror 2 down \(line 2:\d+\)$/m);
  });

  it("--timeout stops a runaway script: exit 6 (limit) with the server's reason", async () => {
    const r = await cli([...at(), "run", join(dir, "loop.js"), "--timeout", "300ms"]);
    expect(r.code).toBe(6);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^scriptengine: DEADLINE_EXCEEDED \(TIMEOUT\): .*timeout_ms=300/);
  });

  it("--profile saves a .cpuprofile Chrome DevTools opens", async () => {
    const file = join(dir, "out.cpuprofile");
    const r = await cli([...at(), "run", join(dir, "twice.js"), "--args", '{"n":1}', "--profile", file]);
    expect(r.code).toBe(0);
    const profile = JSON.parse(readFileSync(file, "utf8"));
    expect(Array.isArray(profile.nodes)).toBe(true);
    expect(profile.nodes[0].callFrame.functionName).toBe("(root)");
    expect(typeof profile.startTime).toBe("number");
  });

  it("compile stores a script, exec runs it by id, a missing id is exit 4", async () => {
    const c = await cli([...at(), "--json", "compile", join(dir, "twice.js"), "--id", "twice"]);
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ scriptId: "twice", version: 1, kind: "SCRIPT_KIND_MODULE" });
    const human = await cli([...at(), "compile", join(dir, "twice.js"), "--id", "twice"]);
    expect(human.stdout).toMatch(/^script +twice\nversion +2\n/);

    const e = await cli([...at(), "exec", "twice", "--args", '{"n":5}', "--script-version", "1"]);
    expect([e.code, e.stdout]).toEqual([0, 'doubling 5\n{\n  "twice": 10\n}\n']);

    // exec converts its arguments as run does: one that JSON cannot hold is refused before sending.
    const infinite = await cli([...at(), "exec", "twice", "--args", '{"n":1e999}']);
    expect(infinite.code).toBe(2);
    expect(infinite.stderr).toContain('argument "n": n is Infinity');

    const missing = await cli([...at(), "exec", "nope"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe("scriptengine: NOT_FOUND (SCRIPT_NOT_FOUND): script nope not found\n");

    const deleted = await cli([...at(), "delete", "twice"]);
    expect([deleted.code, deleted.stdout]).toEqual([0, "deleted twice (2 versions)\n"]);
    expect((await cli([...at(), "exec", "twice"])).code).toBe(4);
    expect((await cli([...at(), "delete", "twice"])).code).toBe(4);
  });

  it("usage errors exit 2 before calling the server", async () => {
    expect((await cli([...at(), "run", join(dir, "twice.js"), "--args", "{nope"])).code).toBe(2);
    const missing = await cli([...at(), "run", join(dir, "missing.js")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*missing\.js: ENOENT/);
    expect((await cli([...at(), "run"])).code).toBe(2);
    expect((await cli([...at(), "frobnicate"])).code).toBe(2);
    expect((await cli([...at(), "run", join(dir, "twice.js"), "--level", "godmode"])).code).toBe(2);
    expect((await cli(["--help"])).stdout).toMatch(/Exit codes:/);
  });
});

describe("operations", () => {
  it("health: a table, or JSON; SE_ADDRESS works like --address", async () => {
    const h = await cli(["health"], { env: { SE_ADDRESS: server.grpc } });
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^status +HEALTHY \(serving\)/);
    expect(h.stdout).toMatch(/COMPONENT +STATUS +MESSAGE\npool +HEALTHY/);
    const j = await cli([...at(), "--json", "health"]);
    expect(JSON.parse(j.stdout).status).toBe("SERVICE_STATUS_HEALTHY");
  });

  it("the Connect transport reaches the HTTP port", async () => {
    const h = await cli(["--transport", "connect", "--address", server.http, "--json", "health"]);
    expect([h.code, JSON.parse(h.stdout).status]).toEqual([0, "SERVICE_STATUS_HEALTHY"]);
  });

  it("an unreachable server is exit 3 with one line", async () => {
    const r = await cli(["--address", "127.0.0.1:1", "health"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^scriptengine: UNAVAILABLE: cannot reach 127\.0\.0\.1:1: .*\n$/);
  });

  it("metrics: figures as a table, JSON, and --watch until Ctrl-C", async () => {
    const m = await cli([...at(), "--json", "metrics"]);
    expect(m.code).toBe(0);
    expect(Number(JSON.parse(m.stdout).totalExecutions)).toBeGreaterThan(0);
    const human = (await cli([...at(), "metrics"])).stdout;
    expect(human).toMatch(/^executions +\d+ \(\d+ ok, \d+ failed/);
    expect(human).toMatch(/^store +\d+(\.\d+)? ?[KMG]?i?B of scripts stored$/m);
    const w = live([...at(), "metrics", "--watch", "100ms"]);
    await w.waitFor((out) => out.split("executions").length > 2);
    expect(await w.interrupt()).toBe(130);
  });

  it("events: a live tail (human and JSON lines), with replay from --after", async () => {
    const human = live([...at(), "events", "--type", "script_executed"]);
    await human.waitFor((_o, e) => /subscribed/.test(e));
    const json = live([...at(), "--json", "events", "--type", "script_executed"]);
    // Both tails are subscribed once the server counts two subscribers.
    for (let i = 0; i < 200; i++) {
      const m = await cli([...at(), "--json", "metrics"]);
      if (Number(JSON.parse(m.stdout).eventSubscribers ?? 0) >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await cli([...at(), "run", join(dir, "twice.js"), "--args", '{"n":3}']);
    await human.waitFor((out) => /script_executed +adhoc ok/.test(out));
    await json.waitFor((out) => out.includes("\n"));
    const event = JSON.parse(json.stdout().split("\n")[0]);
    expect(event.scriptExecuted).toMatchObject({ scriptId: "adhoc", success: true });
    expect(await human.interrupt()).toBe(130);
    expect(await json.interrupt()).toBe(130);

    const replay = live([...at(), "--json", "events", "--after", "0"]);
    await replay.waitFor((out) => out.split("\n").length > 3);
    expect(JSON.parse(replay.stdout().split("\n")[0]).sequence).toBe("1");
    expect(await replay.interrupt()).toBe(130);
  });

  it("services list shows the engine's own registration", async () => {
    const s = await cli([...at(), "services", "list"]);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/^SERVICE +TYPE +VERSION +ENDPOINT/);
    expect(s.stdout).toMatch(/ScriptEngine +0\.1\.0/);
    const j = await cli([...at(), "--json", "services", "list", "--type", "ScriptEngine"]);
    expect(JSON.parse(j.stdout)[0].service.serviceType).toBe("ScriptEngine");
    const none = await cli([...at(), "--json", "services", "list", "--type", "Nothing"]);
    expect(JSON.parse(none.stdout)).toEqual([]);
  });
});

describe("migrations", () => {
  it("migrate a tool (dry run, then for real), validate it, list and count, roll it back", async () => {
    const dry = await cli([...at(), "--json", "migrate", "text_search", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).status).toBe("MIGRATION_STATE_DRY_RUN");

    const real = await cli([...at(), "migrate", "text_search", "--level", "safe"]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/text_search +COMPLETED +tool-/);

    const v = await cli([...at(), "validate", "text_search"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^text_search: (PASSED|WARNING)/);

    const list = await cli([...at(), "--json", "migrations", "list", "--tool", "text_search", "--status", "completed"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((m: { status: string }) => m.status)).toEqual(["MIGRATION_STATE_COMPLETED"]);
    expect((await cli([...at(), "migrations", "list"])).stdout).toMatch(/MIGRATION +TOOL +STATUS/);

    const status = await cli([...at(), "migrations", "status"]);
    expect(status.stdout).toMatch(/^total +[1-9]/);
    expect(status.stdout).toMatch(/completed +1/);

    const refused = await cli([...at(), "rollback", "text_search"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    const rolled = await cli([...at(), "rollback", "text_search", "--yes"]);
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(/result +ok: REMOVED_TOOL/);
  });

  it("a failed migration exits 1; an unknown tool to validate is exit 4", async () => {
    const broken = await cli([...at(), "migrate", "nothing_here"]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/nothing_here +FAILED/);
    // A dry run that finds what would stop the migration fails too: "validate only" must be able to say no.
    const dryBroken = await cli([...at(), "migrate", "broken_tool", "--dry-run"]);
    expect([dryBroken.code, dryBroken.stdout]).toEqual([1, expect.stringMatching(/broken_tool +DRY_RUN/)]);
    const v = await cli([...at(), "validate", "never_migrated"]);
    expect(v.code).toBe(4);
    expect(v.stderr).toMatch(/^scriptengine: NOT_FOUND/);
  });

  it("a directory streams progress, one line per tool off a terminal, and a summary", async () => {
    const r = await cli([...at(), "migrate", "./", "--dry-run"], { timeoutMs: 60_000 });
    expect(r.stderr).toMatch(/^\[1\/\d+\] \S+ (DRY_RUN|FAILED)$/m);
    expect(r.stdout).toMatch(/\d+ tools: \d+ ok, \d+ failed\n$/);
    const failed = Number(/(\d+) failed\n$/.exec(r.stdout)![1]);
    expect(r.code).toBe(failed > 0 ? 1 : 0);
  });

  it("-r takes subdirectories too; a manifest's source file is not a tool of its own", async () => {
    mkdirSync(join(legacy, "nested"), { recursive: true });
    writeFileSync(join(legacy, "nested", "deep.js"), `export const name = "deep_tool";\nexport const description = "nested";\nexport const inputSchema = { type: "object" };\nexport function call() { return 1; }\n`);
    const tools = (out: string) => out.split("\n").filter((l) => /^\[\d+\/\d+\] /.test(l)).map((l) => l.split(" ")[1]);
    const flat = tools((await cli([...at(), "migrate", "./", "--dry-run"], { timeoutMs: 60_000 })).stderr);
    const deep = tools((await cli([...at(), "migrate", "./", "--dry-run", "-r"], { timeoutMs: 60_000 })).stderr);
    expect(flat).not.toContain("deep_tool");
    expect([...deep].sort()).toEqual([...flat, "deep_tool"].sort());
    expect(deep.filter((t) => t === "slugify")).toHaveLength(1); // manifest-src/slugify.js is the manifest entry's code
  });
});

describe("authentication", () => {
  const TOKEN = "cli-test-token-0123456789";
  const secured = serverForTests({ toml: `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\nmax_security_level = "safe"\n` }, { checkExit: false });

  it("no token is exit 5; --token or SE_TOKEN authenticates", async () => {
    const r = await cli(["--address", secured.grpc, "metrics"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^scriptengine: UNAUTHENTICATED/);
    expect((await cli(["--address", secured.grpc, "--token", TOKEN, "--json", "metrics"])).code).toBe(0);
    expect((await cli(["--address", secured.grpc, "--json", "metrics"], { env: { SE_TOKEN: TOKEN } })).code).toBe(0);
    const denied = await cli(["--address", secured.grpc, "--token", TOKEN, "run", "-", "--level", "development"], { input: "1" });
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/^scriptengine: PERMISSION_DENIED \(SECURITY_VIOLATION\)/);
  });
});

it("the package.json bin points at the launcher", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  expect(pkg.bin.scriptengine).toBe("src/cli/scriptengine.js");
  expect(existsSync(join(ROOT, pkg.bin.scriptengine))).toBe(true);
});
