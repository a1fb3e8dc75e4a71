// `scriptengine migrate` backs up what it migrates and replaces (the product's rule), so that
// `rollback` of a `migrate --force` restores the tool it replaced; --no-backup opts out, and
// --preserve-id and --metadata reach the MigrationConfig.
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ROOT, startServer, type TestServer } from "../helpers/server.ts";
import { cli } from "./helpers.ts";

let server: TestServer;
const at = () => ["--address", server.grpc];
const json = async (args: string[]) => {
  const r = await cli([...at(), "--json", ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  const legacy = join(mkdtempSync(join(tmpdir(), "scriptengine-cli-migrate-")), "legacy");
  cpSync(join(ROOT, "examples/legacy-tools"), legacy, { recursive: true });
  server = await startServer({ args: ["--set", "pool.workers=2", "--set", `tools.legacy_root=${legacy}`] });
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

it("migrate --force keeps a backup of the replaced tool, so rollback restores it, then removes the first", async () => {
  const first = await json(["migrate", "text_search"]);
  const forced = await cli([...at(), "migrate", "text_search", "--force"]);
  expect(forced.code).toBe(0);
  expect(forced.stdout).not.toMatch(/not backed up/);
  const listed = await json(["migrations", "list", "--tool", "text_search"]);
  expect(listed.map((m: { hasBackup?: boolean }) => m.hasBackup)).toEqual([true, true]);

  const back = await cli([...at(), "rollback", "text_search", "--yes"]);
  expect([back.code, back.stderr]).toEqual([0, expect.stringContaining(`(tool ${first.newToolId}, from migration ${first.migrationId})`)]);
  expect(back.stdout).toMatch(/result +ok: RESTORED_PREVIOUS/);
  const gone = await cli([...at(), "rollback", "text_search", "--yes", "--migration", first.migrationId]);
  expect([gone.code, gone.stdout]).toEqual([0, expect.stringMatching(/result +ok: REMOVED_TOOL/)]);
});

it("--no-backup keeps none: the replacing migration says so and cannot be rolled back", async () => {
  await json(["migrate", "json_transform", "--no-backup"]);
  const forced = await json(["migrate", "json_transform", "--force", "--no-backup"]);
  expect(forced.warnings.join()).toMatch(/is not backed up \(backup_original is off\)/);
  const back = await cli([...at(), "rollback", "json_transform", "--yes"]);
  expect(back.code).toBe(8);
  expect(back.stderr).toMatch(/without a backup/);
});

it("--preserve-id keeps the legacy id, and --metadata (repeatable, values may hold =) is recorded", async () => {
  const r = await json(["migrate", "text_search", "--preserve-id", "--metadata", "owner=search", "--metadata", "query=a=b", "--metadata", "empty="]);
  expect(r.newToolId).toBe("text_search");
  expect(r.metadata).toMatchObject({ owner: "search", query: "a=b", empty: "" });
  const [latest] = await json(["migrations", "list", "--tool", "text_search", "--limit", "1"]);
  expect(latest.metadata).toEqual({ owner: "search", query: "a=b", empty: "" });
});

it("a --metadata without a key, or a key given twice, is a usage error before anything is sent", async () => {
  const before = (await json(["migrations", "list", "--tool", "text_search"])).length;
  for (const bad of [["--metadata", "novalue"], ["--metadata", "=v"], ["--metadata", "k=1", "--metadata", "k=2"]]) {
    const r = await cli([...at(), "migrate", "text_search", "--force", ...bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^scriptengine: --metadata (expects KEY=VALUE|k given twice)/);
  }
  expect(await json(["migrations", "list", "--tool", "text_search"])).toHaveLength(before);
  const help = await cli(["migrate", "--help"]);
  for (const flag of ["--backup", "--no-backup", "--preserve-id", "--metadata <key=value>"]) expect(help.stdout).toContain(flag);
});
