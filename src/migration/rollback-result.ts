// The MigrationResult a rollback leaves for the migration it undid: the one stored with the
// migration, now ROLLED_BACK and saying what the rollback did. It is stored in place of the
// migration's and is the result of the MigrationCompleted the rollback publishes (the contract has
// no rollback event; subscribers tell one by its status).
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { MigrationResultSchema, MigrationState, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { StoredMigration } from "../store/migrations.ts";
import type { StoredTool } from "../store/tools.ts";

/** The migration's stored result; a row without one (or one this contract cannot read) gets its ids. */
export function storedResult(m: StoredMigration): MigrationResult {
  try {
    if (m.result) return fromJson(MigrationResultSchema, m.result as JsonValue, { ignoreUnknownFields: true });
  } catch {
    // Falls through to the bare result below.
  }
  return create(MigrationResultSchema, { migrationId: m.migrationId, toolName: m.toolName, status: MigrationState.COMPLETED, newToolId: m.toolId || undefined });
}

const text = (s: string) => create(ValueSchema, { kind: { case: "stringValue", value: s } });

export interface RollbackDone {
  atMs: number;
  action: string;
  reason: string;
  /** The tool restored; none when the migration's tool was removed. */
  restored?: StoredTool;
}

/**
 * Status ROLLED_BACK; metadata gains rolled_back_at, rollback_action (restored_previous or
 * removed_tool), rollback_reason when one was given, and restored_tool_id and restored_version when
 * a tool was restored. new_tool_id stays the tool the migration had registered.
 */
export function rolledBackResult(m: StoredMigration, done: RollbackDone): MigrationResult {
  const r = storedResult(m);
  r.status = MigrationState.ROLLED_BACK;
  r.metadata.rolled_back_at = text(new Date(done.atMs).toISOString());
  r.metadata.rollback_action = text(done.action);
  if (done.reason) r.metadata.rollback_reason = text(done.reason);
  if (done.restored) {
    r.metadata.restored_tool_id = text(done.restored.toolId);
    r.metadata.restored_version = text(done.restored.version);
  }
  return r;
}

/**
 * A change to a migration's tool that the store refused: the migration's result as it stands (still
 * COMPLETED), metadata failed_change naming the change ("rollback", or "auto_fix" for a schema
 * fill), and `what` failed last in its errors.
 */
export function failedChangeResult(m: StoredMigration, change: "rollback" | "auto_fix", what: string, error: string): MigrationResult {
  const r = storedResult(m);
  r.metadata.failed_change = text(change);
  r.errors.push(`${what} failed, nothing was changed: ${error}`);
  return r;
}
