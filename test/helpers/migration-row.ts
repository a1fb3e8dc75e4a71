// A migration record for MigrationRepository tests: what a test names, over an empty one.
import type { StoredMigration } from "../../src/store/migrations.ts";

type Row = Omit<StoredMigration, "seq">;

export const migrationRow = (fields: Pick<Row, "migrationId" | "status"> & Partial<Row>): Row => ({
  toolName: "t",
  toolId: "",
  securityLevel: "safe",
  startedAtMs: 1,
  completedAtMs: 2,
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
  ...fields,
});
