// A tool that RollbackTool restores gets its schemas compiled by the rollback, as a migration and
// the server's start compile a registered tool's, so its first call compiles nothing on the event
// loop. A backup taken before schemas were bounded to 1,000 keywords, property names and list
// entries may hold a bigger one, whose compile would stall every RPC: that rollback is refused.
import { mkdtempSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MigrationState, RollbackAction } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { failure } from "../helpers/errors.ts";
import { clients, config } from "./helpers.ts";

const tool = (name: string, version: string, inputSchema: object) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = ${JSON.stringify(version)};\n` +
  `export const inputSchema = ${JSON.stringify(inputSchema)};\nexport async function call(args) { return args; }\n`;
/** `n` integer properties p0, p1, ...: 2n + 2 schema nodes. */
const wide = (n: number) => ({ type: "object", properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: "integer" }])) });

const root = mkdtempSync(join(tmpdir(), "se-rollback-schemas-"));
const args = ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"];
let server: TestServer;
let c: ReturnType<typeof clients>;
const migrate = async (name: string, version: string, inputSchema: object, force = false) => {
  writeFileSync(join(root, `${name}.js`), tool(name, version, inputSchema));
  const r = (await c.migration.migrateTool({ toolName: name, config: config({ force, skipChecks: ["smoke_run"] }) })).result!;
  expect(r.status).toBe(MigrationState.COMPLETED);
  return r.migrationId;
};
const logLines = () => server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
let wideReplacer = "";

beforeAll(async () => {
  server = await startServer({ args });
  c = clients(server);
  // shape 1 checks p0 as an integer; shape 2, which replaces it (backed up), takes anything.
  await migrate("shape", "1", wide(3));
  await migrate("shape", "2", { type: "object" }, true);
  // big 1's backup is edited below into one taken before the bound: 600 properties, 1,202 nodes.
  await migrate("big", "1", wide(3));
  wideReplacer = await migrate("big", "2", { type: "object" }, true);
  await server.stop();
  const db = new DatabaseSync(join(server.dataDir, "scriptengine.db"));
  const changed = db
    .prepare("UPDATE tool_backups SET content_json = json_set(content_json, '$.inputSchema', json(?)) WHERE migration_id = ? AND kind = 'replaced_tool'")
    .run(JSON.stringify(wide(600)), wideReplacer);
  db.close();
  expect(changed.changes).toBe(1);
  // A restart: the schema cache holds only the live tools' schemas (shape 2, big 2).
  server = await startServer({ args, dataDir: server.dataDir });
  c = clients(server);
}, 120_000);
afterAll(async () => {
  await server.stop();
});

it("the rollback compiles the restored tool's schemas before it answers, and its calls use them", async () => {
  const r = (await c.migration.rollbackTool({ toolName: "shape" })).result!;
  expect(r.action).toBe(RollbackAction.RESTORED_PREVIOUS);
  expect(r.restoredVersion).toBe("1");
  const lines = logLines();
  const compiled = lines.findIndex((l) => l.msg === "tool schemas compiled" && l.tool === "shape");
  expect(compiled).toBeGreaterThanOrEqual(0);
  expect(lines[compiled]).toMatchObject({ tool: "shape", migration_id: r.migrationId, schemas: 1 });
  expect(compiled).toBeLessThan(lines.findIndex((l) => l.msg === "migration rolled back" && l.tool === "shape"));
  const run = await c.scripts.runScript({
    source: "export default async (a, ctx) => JSON.stringify([await ctx.tools.shape({ p0: 1 }), await ctx.tools.shape({ p0: 'x' }).catch((e) => e.message)])",
    context: { availableTools: ["shape"] },
  });
  expect(JSON.parse(String(run.result?.returnValue?.kind.value))).toEqual([
    { p0: 1 },
    'tool "shape" failed: INVALID_ARGUMENT: arguments of tool shape do not match its input schema: /p0 must be integer',
  ]);
}, 60_000);

it("a backup whose schema is over the 1,000-node limit is not restored: FAILED_PRECONDITION naming why, nothing changed", async () => {
  const f = await failure(c.migration.rollbackTool({ toolName: "big" }));
  expect([f.code, f.reason]).toEqual(["FailedPrecondition", "MIGRATION_ERROR"]);
  expect(f.metadata).toMatchObject({ tool: "big", migration_id: wideReplacer, schema: "inputSchema", nodes: "1202", limit: "1000" });
  expect(f.err.rawMessage).toMatch(
    /^cannot restore big 1 \(from migration \S+\) that migration \S+ replaced: its inputSchema has 1202 keywords, property names and list entries, over the limit of 1000 \(its validator is compiled on the server's event loop\); migrate a fixed source instead$/,
  );
  expect((await c.tools.getTool({ name: "big" })).tool?.version).toBe("2");
  const listed = await c.migration.listMigrations({ filter: { toolName: "big" } });
  expect(listed.migrations.find((m) => m.migrationId === wideReplacer)?.status).toBe(MigrationState.COMPLETED);
  expect(logLines().some((l) => l.tool === "big" && (l.msg === "tool schemas compiled" || l.msg === "migration rolled back"))).toBe(false);
}, 60_000);
