// MigrationRepository.dropInProgress: a migration the engine could not run leaves no record, and
// only an IN_PROGRESS row can be dropped that way (a finished one is history).
import { DatabaseSync } from "node:sqlite";
import { expect, it } from "vitest";
import { MigrationRepository, type StoredMigration } from "../../src/store/migrations.ts";

const row = (migrationId: string, status: StoredMigration["status"]): Omit<StoredMigration, "seq"> => ({
  migrationId,
  toolName: `tool_${migrationId}`,
  toolId: "",
  status,
  securityLevel: "safe",
  startedAtMs: 1,
  completedAtMs: null,
  durationMs: 0,
  source: null,
  originalHash: "",
  replacedToolId: "",
  config: {},
  result: null,
  warnings: [],
  errors: [],
  metadata: {},
  rollback: null,
});

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
