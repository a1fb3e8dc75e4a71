// A schema's `$id` names that schema only: a tool whose schema has one can be migrated again with
// the schema changed (same `$id`), rolled back to the older one, and another tool may use the same
// `$id`. Each compile registered the schema under its `$id` for the life of the server, so all of
// these failed input_schema_valid ("schema with key or id ... already exists") until a restart.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MigrationState, RollbackAction } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clients, config } from "./helpers.ts";

const ID = "urn:example:idtool-input";
const tool = (name: string, version: string, inputSchema: object) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = ${JSON.stringify(version)};\n` +
  `export const inputSchema = ${JSON.stringify(inputSchema)};\nexport async function call(args) { return args; }\n`;
/** Refers to its own definition through its `$id`: that must still resolve. */
const v1 = { $id: ID, type: "object", definitions: { word: { type: "string" } }, properties: { a: { $ref: `${ID}#/definitions/word` } } };
const v2 = { ...v1, properties: { ...v1.properties, b: { type: "number" } } };

const root = mkdtempSync(join(tmpdir(), "se-schema-id-"));
let server: TestServer;
let c: ReturnType<typeof clients>;
const migrate = async (name: string, version: string, inputSchema: object, force = false) => {
  writeFileSync(join(root, `${name}.js`), tool(name, version, inputSchema));
  return (await c.migration.migrateTool({ toolName: name, config: config({ force, skipChecks: ["smoke_run"] }) })).result!;
};
const call = async (name: string, args: object) => {
  const run = await c.scripts.runScript({
    source: `export default async (a, ctx) => JSON.stringify(await ctx.tools.${name}(${JSON.stringify(args)}).catch((e) => e.message))`,
    context: { availableTools: [name] },
  });
  return JSON.parse(String(run.result?.returnValue?.kind.value)) as unknown;
};

beforeAll(async () => {
  server = await startServer({ args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
  c = clients(server);
}, 60_000);
afterAll(async () => {
  await server.stop();
});

it("a tool is migrated again with its schema changed under the same $id, and rolled back to the older one", async () => {
  const first = await migrate("idtool", "1", v1);
  expect([first.status, first.errors]).toEqual([MigrationState.COMPLETED, []]);
  expect(await call("idtool", { a: 1 })).toMatch(/input schema: \/a must be string$/);

  const second = await migrate("idtool", "2", v2, true);
  expect([second.status, second.errors]).toEqual([MigrationState.COMPLETED, []]);
  expect(await call("idtool", { a: "x", b: "y" })).toMatch(/input schema: \/b must be number$/);

  const back = (await c.migration.rollbackTool({ toolName: "idtool" })).result!;
  expect([back.action, back.restoredVersion]).toEqual([RollbackAction.RESTORED_PREVIOUS, "1"]);
  expect(await call("idtool", { a: "x", b: "y" })).toEqual({ a: "x", b: "y" });
  expect(await call("idtool", { a: 1 })).toMatch(/input schema: \/a must be string$/);
}, 60_000);

it("another tool may use the same $id", async () => {
  const other = await migrate("other", "1", { $id: ID, type: "object", properties: { z: { type: "string" } }, required: ["z"] });
  expect([other.status, other.errors]).toEqual([MigrationState.COMPLETED, []]);
  expect(await call("other", {})).toMatch(/input schema: .*must have required property 'z'/);
  expect(await call("idtool", { a: 1 })).toMatch(/input schema: \/a must be string$/);
}, 60_000);
