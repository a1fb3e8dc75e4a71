// A registered tool using the fs host tool reads in its calling script's working_directory: it was
// never handed one, so such a tool migrated fine (its smoke run is stubbed) and then always failed
// "the execution has no working_directory".
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clients, config } from "./helpers.ts";

let server: TestServer;
let c: ReturnType<typeof clients>;
let work: string;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), "se-tool-fs-"));
  work = join(root, "work");
  mkdirSync(work);
  writeFileSync(join(work, "notes.txt"), "kept in the caller's directory\n");
  writeFileSync(join(root, "readnote.js"), [
    'export const name = "readnote";',
    'export const description = "reads a file through the fs tool";',
    'export const version = "1.0.0";',
    'export const inputSchema = { type: "object", properties: { path: { type: "string" } }, required: ["path"] };',
    "export async function call(args, ctx) { const f = await ctx.tools.fs({ path: args.path }); return f.content; }",
  ].join("\n"));
  server = await startServer({ args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
  c = clients(server);
  const r = await c.migration.migrateTool({ toolName: "readnote", config: config({ level: SecurityLevel.DEVELOPMENT }) });
  expect(r.result?.status).toBe(MigrationState.COMPLETED);
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const readNote = (context: object) =>
  c.scripts.runScript({
    source: `export default async (a, ctx) => { try { return await ctx.tools.readnote({ path: "notes.txt" }); } catch (e) { return e.name + ": " + e.message; } }`,
    context: { availableTools: ["readnote"], securityContext: { securityLevel: SecurityLevel.DEVELOPMENT }, ...context },
  });

describe("a registered tool using fs", () => {
  it("reads in its caller's working_directory", async () => {
    const r = await readNote({ workingDirectory: work });
    expect(r.result?.returnValue?.kind.value).toBe("kept in the caller's directory\n");
  });

  it("called by a script with no working_directory, fails saying so", async () => {
    const r = await readNote({});
    expect(String(r.result?.returnValue?.kind.value)).toMatch(/^ToolError: .*no working_directory/);
  });
});
