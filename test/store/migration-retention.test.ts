// MigrationRepository.prune: the live tool's rollback chain (its migration, and back through each
// replaced-tool backup) is never removed, however long; the rest is kept up to the limit, dry runs
// and failures apart from the migrations that changed the tool.
import { DatabaseSync } from "node:sqlite";
import { expect, it } from "vitest";
import { MigrationRepository, type StoredMigration } from "../../src/store/migrations.ts";
import type { StoredTool } from "../../src/store/tools.ts";
import { migrationRow } from "../helpers/migration-row.ts";

const row = (migrationId: string, status: StoredMigration["status"], replacedToolId = "") =>
  migrationRow({ migrationId, status, toolId: `tool-${migrationId}`, replacedToolId });
const toolFrom = (migrationId: string): StoredTool => ({
  toolId: `tool-${migrationId}`,
  name: "t",
  description: "",
  inputSchema: null,
  outputSchema: null,
  version: "1",
  tags: [],
  securityLevel: "safe",
  source: "1",
  language: "javascript",
  sourceHash: "",
  hostTools: [],
  migrationId,
  metadata: {},
  createdAtMs: 1,
  updatedAtMs: 1,
});

/** A completed migration that replaced the tool `previous` had registered, with a backup of it. */
function replacing(repo: MigrationRepository, id: string, previous: string): void {
  repo.insert(row(id, "completed", `tool-${previous}`));
  repo.addBackup({ backupId: `bak-${id}`, migrationId: id, kind: "replaced_tool", tool: toolFrom(previous), createdAtMs: 1 });
}

it("keeps a chain longer than the limit whole, and bounds dry runs, failures and unreachable history apart", () => {
  const repo = new MigrationRepository(new DatabaseSync(":memory:"));
  repo.insert(row("c0", "completed"));
  for (let i = 1; i <= 5; i++) replacing(repo, `c${i}`, `c${i - 1}`);
  for (let i = 0; i < 4; i++) repo.insert(row(`d${i}`, i % 2 ? "dry_run" : "failed"));
  repo.insert(row("r0", "rolled_back"));
  repo.insert(row("p0", "in_progress"));

  expect([...repo.rollbackChain("c5")].sort()).toEqual(["c0", "c1", "c2", "c3", "c4", "c5"]);
  expect(repo.prune("t", 2, "c5")).toBe(2);
  const left = repo.list({ statuses: [], toolName: "t", level: "", startedAfterMs: undefined, startedBeforeMs: undefined, beforeSeq: 0, limit: 100 }).map((m) => m.migrationId);
  expect(left).toEqual(["p0", "r0", "d3", "d2", "c5", "c4", "c3", "c2", "c1", "c0"]);
  expect(repo.backups("c1").map((b) => b.tool?.migrationId)).toEqual(["c0"]);

  // Rolled back to c3: c4 and c5 are history now, and only the newest two of it (r0, c5) stay.
  expect(repo.prune("t", 2, "c3")).toBe(1);
  expect(repo.get("c4")).toBeUndefined();
  expect(repo.backups("c4")).toEqual([]);
  expect(repo.get("c5")?.status).toBe("completed");
  expect(repo.get("c0")?.status).toBe("completed");
});

it("a chain that loops back on itself, or leads to a migration no longer stored, ends there", () => {
  const repo = new MigrationRepository(new DatabaseSync(":memory:"));
  replacing(repo, "a", "b");
  replacing(repo, "b", "a");
  replacing(repo, "x", "gone");
  expect([...repo.rollbackChain("a")].sort()).toEqual(["a", "b"]);
  expect([...repo.rollbackChain("x")]).toEqual(["x"]);
  expect([...repo.rollbackChain("")]).toEqual([]);
});
