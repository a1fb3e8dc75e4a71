// A script's registered-tool runs on its single-isolate worker, through the real server. That worker
// runs guest code on its one thread, one run after another: eight calls at once of a tool spinning to
// its limits ran there in turn, each with its full limits from when it began, past the host deadline
// counted from when the host sent it, and the worker was taken for hung and replaced (the script told
// WORKER_CRASHED, retryable). Now each waits for the thread host-side and has what is left of its
// call's time. And a tool run that does take its worker down does so for its caller: the script gets
// the breach as its own outcome, and the worker-kill breaker strikes the caller's principal.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { failure } from "../helpers/errors.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { clients, config, SecurityLevel } from "../migration/helpers.ts";

const tool = (name: string, body: string) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n` +
  `export const inputSchema = { type: "object" };\nexport async function call(args, ctx) { ${body} }\n`;

const ALICE = bearer(tokenOf("alice"));

let server: TestServer;
let c: ReturnType<typeof clients>;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), "se-tool-run-worker-"));
  writeFileSync(join(root, "spin.js"), tool("spin", "for (;;) {}"));
  // V8 aborts the worker (a result past what it can size): a memory breach no limit stops in time.
  writeFileSync(join(root, "crash.js"), tool("crash", 'return "x".repeat(2 ** 28).split("").length;'));
  server = await startServer({
    toml: `[pool]\nworkers = 1\nmax_worker_kills = 1\nworker_kill_window = "60s"\n${principalsToml({ name: "alice", permissions: ["migrate"] }, { name: "bob", permissions: ["migrate"] })}`,
    args: ["--set", `tools.legacy_root=${root}`],
  });
  c = clients(server);
  for (const name of ["spin", "crash"]) {
    const r = await c.migration.migrateTool({ toolName: name, config: config({ level: SecurityLevel.SAFE, skipChecks: ["smoke_run"] }) }, ALICE);
    expect([name, r.result?.status]).toEqual([name, MigrationState.COMPLETED]);
  }
}, 60_000);
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const replacements = () => server.logs().split("\n").filter((l) => l.includes('"worker replaced"'));

it("eight calls at once of a tool spinning to its limits each end in a ToolError; the worker is not replaced", async () => {
  const source = `export default async (a, ctx) => {
    const r = await Promise.allSettled(Array.from({ length: 8 }, () => ctx.tools.spin({})));
    return r.map((x) => x.status === "rejected" && x.reason.name === "ToolError" ? x.reason.message : "unexpected: " + x.status + " " + x.reason);
  }`;
  const before = replacements().length;
  const r = await c.scripts.runScript({ source, context: { availableTools: ["spin"], timeout: { seconds: 3n } } }, bob());
  expect(r.result?.success).toBe(true);
  const messages = r.result?.returnValue?.kind.case === "listValue" ? r.result.returnValue.kind.value.values.map((v) => String(v.kind.value)) : [];
  expect(messages).toHaveLength(8);
  for (const m of messages) expect(m).toMatch(/^tool "spin" (failed: TimeoutError: the tool used its CPU share|timed out after \d+ ms: the calling script's time ran out|failed: the tool run waited \d+ ms for other tool runs on its worker)/);
  // The first had its call's whole time; the next one only what was left of it once the first was done.
  expect(messages[0]).toMatch(/its calling script left it/);
  expect(messages[1]).toMatch(/left of its call after it waited \d+ ms for other tool runs on its worker|timed out/);
  expect(replacements().length).toBe(before);
}, 30_000);

it("a tool run that takes its worker down is its caller's breach, and strikes the caller's principal", async () => {
  const source = `export default async (a, ctx) => { await ctx.tools.crash({}); return "survived"; }`;
  const f = await failure(c.scripts.runScript({ source, context: { availableTools: ["crash"] } }, ALICE));
  // Its own limit breach (not UNAVAILABLE WORKER_CRASHED, retryable), naming the tool.
  expect([f.code, f.reason, f.metadata.resource]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "memory"]);
  expect(f.err.rawMessage).toMatch(/its call of tool crash took its worker down: the tool exceeded its memory limit of (\d+) MiB/);
  // Its ErrorInfo names the tool and the limit it exceeded (the tool's, as the message says), not the script's.
  const toolMb = Number(/memory limit of (\d+) MiB/.exec(f.err.rawMessage)![1]);
  expect([f.metadata.tool, f.metadata.limit]).toEqual(["crash", String(toolMb * 1048576)]);
  const line = JSON.parse(replacements().at(-1)!) as { blamed: { executionId: string; kind: string }[]; failed: number };
  expect(line.failed).toBe(0);
  expect(line.blamed.map((b) => b.kind)).toEqual(["memory_limit", "memory_limit"]);
  // max_worker_kills = 1: alice is refused now; bob is served.
  const refused = await failure(c.scripts.runScript({ source: "1 + 1" }, ALICE));
  expect([refused.code, refused.metadata.resource]).toEqual(["ResourceExhausted", "worker_replacements"]);
  expect((await c.scripts.runScript({ source: "6 * 7" }, bob())).result?.success).toBe(true);
}, 60_000);

function bob() {
  return bearer(tokenOf("bob"));
}
