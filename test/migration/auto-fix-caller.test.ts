// Auto-fix re-migrating a changed original runs the checks the tool was migrated with, but as the
// caller of the validation: its smoke run is capped by what this caller could run now, not by the
// timeout stored with the original migration.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { TestServer } from "../helpers/server.ts";
import { clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

const nap = (version: number) => `export const name = "nap";
export const description = "sleeps when asked (v${version})";
export const version = "${version}";
export const inputSchema = { type: "object", properties: { ms: { type: "integer" } } };
export async function call(args) { if (args.ms) await new Promise((r) => setTimeout(r, args.ms)); return ${version}; }
`;

let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it("the re-migration's smoke run is cut at this caller's cap, not the stored timeout", { timeout: 60_000 }, async () => {
  const root = legacyCopy();
  writeFileSync(join(root, "nap.js"), nap(1));
  server = await startWithLegacy(root);
  const first = clients(server);
  const m = await first.migration.migrateTool({ toolName: "nap", config: config({ smokeArgs: { ms: 2000 }, smokeTimeoutMs: 5000 }) });
  expect(m.result?.status).toBe(MigrationState.COMPLETED);
  const dataDir = server.dataDir;
  await server.stop();

  // The same data directory, now with every execution capped at 1 s; the original has changed.
  writeFileSync(join(root, "nap.js"), nap(2));
  server = await startWithLegacy(root, { dataDir, args: ["--set", "resource_limits.max_execution_time=1s"] });
  const c = clients(server);
  const r = (await c.migration.validateMigration({ toolName: "nap", autoFix: true, validation: { checks: ["original_unchanged"] } })).result!;
  expect(r.autoFixResults?.applied).toEqual([]);
  expect(r.autoFixResults?.unresolved.map((i) => i.message).join("\n")).toContain("the smoke run timed out after 1000 ms");
});
