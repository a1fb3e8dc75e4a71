// MigrationRepository.dropInProgress: a migration the engine could not run leaves no record, and
// only an IN_PROGRESS row can be dropped that way (a finished one is history).
import { DatabaseSync } from "node:sqlite";
import { expect, it } from "vitest";
import { MigrationRepository, type StoredMigration } from "../../src/store/migrations.ts";
import { migrationRow } from "../helpers/migration-row.ts";

const row = (migrationId: string, status: StoredMigration["status"]) =>
  migrationRow({ migrationId, status, toolName: `tool_${migrationId}`, completedAtMs: null });

it("drops an IN_PROGRESS migration, and nothing else", () => {
  const repo = new MigrationRepository(new DatabaseSync(":memory:"));
  repo.insert(row("a", "in_progress"));
  repo.insert(row("b", "failed"));
  expect(repo.dropInProgress("a")).toBe(true);
  expect(repo.get("a")).toBeUndefined();
  expect(repo.dropInProgress("a")).toBe(false);
  expect(repo.dropInProgress("b")).toBe(false);
  expect(repo.get("b")?.status).toBe("failed");
});
