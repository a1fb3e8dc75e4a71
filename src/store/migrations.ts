// Migrations and their backups. A migration row is written IN_PROGRESS when the work starts and
// finished (with the tool change and the backups) in one transaction, so after a crash a row is
// either IN_PROGRESS with nothing changed (recovery marks it FAILED) or finished with everything.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Level } from "../config/types.ts";
import type { StoredTool } from "./tools.ts";

export type MigrationStatusName = "pending" | "in_progress" | "completed" | "failed" | "rolled_back" | "dry_run";

/** Where a legacy tool came from, relative to the legacy root. */
export interface LegacyRef {
  kind: "file" | "manifest";
  /** The tool file, or the manifest. */
  path: string;
  /** The manifest entry's name. */
  entry?: string;
}

export interface StoredMigration {
  seq: number;
  migrationId: string;
  toolName: string;
  /** The tool id the migration registered (or would have). */
  toolId: string;
  status: MigrationStatusName;
  securityLevel: Level;
  startedAtMs: number;
  completedAtMs: number | null;
  durationMs: number;
  source: LegacyRef | null;
  /** Hex SHA-256 of the legacy source as migrated. */
  originalHash: string;
  /** The tool the migration replaced (its id), when it replaced one. */
  replacedToolId: string;
  /** The migration's config (JSON of MigrationConfig), for re-migration. */
  config: unknown;
  /** The MigrationResult (JSON), once finished. */
  result: unknown;
  warnings: string[];
  errors: string[];
  metadata: Record<string, string>;
  rollback: { atMs: number; reason: string; action: string } | null;
}

export interface StoredBackup {
  backupId: string;
  migrationId: string;
  kind: "original" | "replaced_tool";
  original?: { source: string; sourceHash: string; ref: LegacyRef | null };
  tool?: StoredTool;
  createdAtMs: number;
}

interface Row {
  seq: number;
  migration_id: string;
  tool_name: string;
  tool_id: string;
  status: string;
  security_level: string;
  started_at_ms: number;
  completed_at_ms: number | null;
  duration_ms: number;
  source_json: string | null;
  original_hash: string;
  replaced_tool_id: string;
  config_json: string;
  result_json: string | null;
  warnings_json: string;
  errors_json: string;
  metadata_json: string;
  rollback_json: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS migrations (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT,
  migration_id     TEXT NOT NULL UNIQUE,
  tool_name        TEXT NOT NULL,
  tool_id          TEXT NOT NULL,
  status           TEXT NOT NULL,
  security_level   TEXT NOT NULL,
  started_at_ms    INTEGER NOT NULL,
  completed_at_ms  INTEGER,
  duration_ms      REAL NOT NULL,
  source_json      TEXT,
  original_hash    TEXT NOT NULL,
  replaced_tool_id TEXT NOT NULL,
  config_json      TEXT NOT NULL,
  result_json      TEXT,
  warnings_json    TEXT NOT NULL,
  errors_json      TEXT NOT NULL,
  metadata_json    TEXT NOT NULL,
  rollback_json    TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS migrations_one_running ON migrations(tool_name) WHERE status = 'in_progress';
CREATE INDEX IF NOT EXISTS migrations_by_tool ON migrations(tool_name, seq);
CREATE TABLE IF NOT EXISTS tool_backups (
  backup_id     TEXT PRIMARY KEY,
  migration_id  TEXT NOT NULL REFERENCES migrations(migration_id),
  kind          TEXT NOT NULL,
  content_json  TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tool_backups_by_migration ON tool_backups(migration_id);
`;

function fromRow(r: Row): StoredMigration {
  return {
    seq: r.seq,
    migrationId: r.migration_id,
    toolName: r.tool_name,
    toolId: r.tool_id,
    status: r.status as MigrationStatusName,
    securityLevel: r.security_level as Level,
    startedAtMs: r.started_at_ms,
    completedAtMs: r.completed_at_ms,
    durationMs: r.duration_ms,
    source: r.source_json ? JSON.parse(r.source_json) : null,
    originalHash: r.original_hash,
    replacedToolId: r.replaced_tool_id,
    config: JSON.parse(r.config_json),
    result: r.result_json ? JSON.parse(r.result_json) : null,
    warnings: JSON.parse(r.warnings_json),
    errors: JSON.parse(r.errors_json),
    metadata: JSON.parse(r.metadata_json),
    rollback: r.rollback_json ? JSON.parse(r.rollback_json) : null,
  };
}

export interface MigrationFilterQuery {
  statuses: MigrationStatusName[];
  toolName: string;
  level: Level | "";
  startedAfterMs: number | undefined;
  startedBeforeMs: number | undefined;
  /** Rows with seq below this (newest first); 0 means from the newest. */
  beforeSeq: number;
  limit: number;
}

export class MigrationRepository {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #get: StatementSync;
  readonly #latestForTool: StatementSync;
  readonly #backups: StatementSync;
  readonly #hasBackup: StatementSync;
  readonly #insertBackup: StatementSync;
  readonly #dropInProgress: StatementSync;
  readonly #chain: StatementSync;
  readonly #retained: StatementSync;
  readonly #dropBackups: StatementSync;
  readonly #drop: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#insert = db.prepare(
      `INSERT INTO migrations (migration_id, tool_name, tool_id, status, security_level, started_at_ms, completed_at_ms, duration_ms, source_json, original_hash, replaced_tool_id, config_json, result_json, warnings_json, errors_json, metadata_json, rollback_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#get = db.prepare(`SELECT * FROM migrations WHERE migration_id = ?`);
    this.#latestForTool = db.prepare(
      `SELECT * FROM migrations WHERE tool_name = ? AND status IN ('completed', 'rolled_back') ORDER BY seq DESC LIMIT 1`,
    );
    this.#backups = db.prepare(`SELECT * FROM tool_backups WHERE migration_id = ? ORDER BY created_at_ms, backup_id`);
    this.#hasBackup = db.prepare(`SELECT EXISTS (SELECT 1 FROM tool_backups WHERE migration_id = ?) AS has`);
    this.#insertBackup = db.prepare(`INSERT INTO tool_backups (backup_id, migration_id, kind, content_json, created_at_ms) VALUES (?, ?, ?, ?, ?)`);
    this.#dropInProgress = db.prepare(`DELETE FROM migrations WHERE migration_id = ? AND status = 'in_progress'`);
    // UNION (not UNION ALL) ends the walk at a link seen already; only the backups' tool ids are read.
    this.#chain = db.prepare(
      `WITH RECURSIVE chain(id) AS (
         SELECT ?
         UNION
         SELECT json_extract(b.content_json, '$.migrationId') FROM tool_backups b JOIN chain c ON b.migration_id = c.id
         WHERE b.kind = 'replaced_tool' AND json_extract(b.content_json, '$.migrationId') != ''
       )
       SELECT c.id FROM chain c JOIN migrations m ON m.migration_id = c.id`,
    );
    this.#retained = db.prepare(`SELECT migration_id, status FROM migrations WHERE tool_name = ? AND status != 'in_progress' ORDER BY seq DESC`);
    this.#dropBackups = db.prepare(`DELETE FROM tool_backups WHERE migration_id = ?`);
    this.#drop = db.prepare(`DELETE FROM migrations WHERE migration_id = ?`);
  }

  /** Inserts a migration row. A second IN_PROGRESS row for the same tool violates a unique index. */
  insert(m: Omit<StoredMigration, "seq">): void {
    this.#insert.run(
      m.migrationId,
      m.toolName,
      m.toolId,
      m.status,
      m.securityLevel,
      m.startedAtMs,
      m.completedAtMs,
      m.durationMs,
      m.source ? JSON.stringify(m.source) : null,
      m.originalHash,
      m.replacedToolId,
      JSON.stringify(m.config ?? {}),
      m.result === null || m.result === undefined ? null : JSON.stringify(m.result),
      JSON.stringify(m.warnings),
      JSON.stringify(m.errors),
      JSON.stringify(m.metadata),
      m.rollback ? JSON.stringify(m.rollback) : null,
    );
  }

  /** Finishes (or re-states) a migration. */
  update(migrationId: string, patch: Partial<Pick<StoredMigration, "status" | "toolName" | "toolId" | "completedAtMs" | "durationMs" | "source" | "originalHash" | "replacedToolId" | "result" | "warnings" | "errors" | "rollback">>): void {
    const cols: string[] = [];
    const vals: (string | number | null)[] = [];
    const set = (col: string, v: string | number | null) => {
      cols.push(`${col} = ?`);
      vals.push(v);
    };
    if (patch.status !== undefined) set("status", patch.status);
    if (patch.toolName !== undefined) set("tool_name", patch.toolName);
    if (patch.toolId !== undefined) set("tool_id", patch.toolId);
    if (patch.completedAtMs !== undefined) set("completed_at_ms", patch.completedAtMs);
    if (patch.durationMs !== undefined) set("duration_ms", patch.durationMs);
    if (patch.source !== undefined) set("source_json", patch.source ? JSON.stringify(patch.source) : null);
    if (patch.originalHash !== undefined) set("original_hash", patch.originalHash);
    if (patch.replacedToolId !== undefined) set("replaced_tool_id", patch.replacedToolId);
    if (patch.result !== undefined) set("result_json", JSON.stringify(patch.result));
    if (patch.warnings !== undefined) set("warnings_json", JSON.stringify(patch.warnings));
    if (patch.errors !== undefined) set("errors_json", JSON.stringify(patch.errors));
    if (patch.rollback !== undefined) set("rollback_json", patch.rollback ? JSON.stringify(patch.rollback) : null);
    if (cols.length === 0) return;
    this.#db.prepare(`UPDATE migrations SET ${cols.join(", ")} WHERE migration_id = ?`).run(...vals, migrationId);
  }

  get(migrationId: string): StoredMigration | undefined {
    const row = this.#get.get(migrationId) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The tool's latest migration that changed it (completed or rolled back). */
  latestForTool(toolName: string): StoredMigration | undefined {
    const row = this.#latestForTool.get(toolName) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Every IN_PROGRESS migration (at startup these are left over from a crash). */
  inProgress(): StoredMigration[] {
    return (this.#db.prepare(`SELECT * FROM migrations WHERE status = 'in_progress'`).all() as unknown as Row[]).map(fromRow);
  }

  /** Removes a migration that did not happen (the engine could not run it); only while IN_PROGRESS. */
  dropInProgress(migrationId: string): boolean {
    return Number(this.#dropInProgress.run(migrationId).changes) > 0;
  }

  addBackup(b: StoredBackup): void {
    const content = b.kind === "original" ? b.original : b.tool;
    this.#insertBackup.run(b.backupId, b.migrationId, b.kind, JSON.stringify(content), b.createdAtMs);
  }

  /** Whether a migration kept backups, without loading them (they hold whole sources). */
  hasBackup(migrationId: string): boolean {
    return (this.#hasBackup.get(migrationId) as { has: number }).has === 1;
  }

  backups(migrationId: string): StoredBackup[] {
    return (this.#backups.all(migrationId) as { backup_id: string; migration_id: string; kind: string; content_json: string; created_at_ms: number }[]).map((r) => ({
      backupId: r.backup_id,
      migrationId: r.migration_id,
      kind: r.kind as StoredBackup["kind"],
      ...(r.kind === "original" ? { original: JSON.parse(r.content_json) } : { tool: JSON.parse(r.content_json) }),
      createdAtMs: r.created_at_ms,
    }));
  }

  /**
   * The live tool's rollback chain: the migration it came from, then, through each one's
   * replaced-tool backup, the migration the tool it replaced came from, and so on back. Rolling
   * back walks this chain, so each link must outlive any retention.
   */
  rollbackChain(liveMigrationId: string): Set<string> {
    if (!liveMigrationId) return new Set();
    return new Set((this.#chain.all(liveMigrationId) as { id: string }[]).map((r) => r.id));
  }

  /**
   * Retention of a tool's records, each with its backups. The live tool's rollback chain (see
   * rollbackChain) and migrations in progress are never removed. Of the rest, the newest `keep`
   * dry runs and failures are kept, and apart from them the newest `keep` completed or rolled back
   * migrations: dry runs and failures, which changed nothing, never push out a migration that did.
   * Returns how many were removed.
   */
  prune(toolName: string, keep: number, liveMigrationId: string): number {
    const chain = this.rollbackChain(liveMigrationId);
    const rows = this.#retained.all(toolName) as { migration_id: string; status: string }[];
    const seen = { trial: 0, change: 0 };
    const old: string[] = [];
    for (const r of rows) {
      if (chain.has(r.migration_id)) continue;
      const kind = r.status === "dry_run" || r.status === "failed" ? "trial" : "change";
      seen[kind] += 1;
      if (seen[kind] > keep) old.push(r.migration_id);
    }
    for (const id of old) {
      this.#dropBackups.run(id);
      this.#drop.run(id);
    }
    return old.length;
  }

  countBackups(): number {
    return (this.#db.prepare(`SELECT COUNT(*) AS n FROM tool_backups`).get() as { n: number }).n;
  }

  /** Newest first. */
  list(q: MigrationFilterQuery): StoredMigration[] {
    const where: string[] = [];
    const vals: (string | number)[] = [];
    if (q.statuses.length > 0) {
      where.push(`status IN (${q.statuses.map(() => "?").join(", ")})`);
      vals.push(...q.statuses);
    }
    if (q.toolName) {
      where.push("tool_name = ?");
      vals.push(q.toolName);
    }
    if (q.level) {
      where.push("security_level = ?");
      vals.push(q.level);
    }
    if (q.startedAfterMs !== undefined) {
      where.push("started_at_ms > ?");
      vals.push(q.startedAfterMs);
    }
    if (q.startedBeforeMs !== undefined) {
      where.push("started_at_ms < ?");
      vals.push(q.startedBeforeMs);
    }
    if (q.beforeSeq > 0) {
      where.push("seq < ?");
      vals.push(q.beforeSeq);
    }
    const sql = `SELECT * FROM migrations ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...vals, q.limit) as unknown as Row[]).map(fromRow);
  }

  /** Counts by status (optionally of one level), and the latest start. */
  aggregate(level: Level | ""): { counts: Record<string, number>; lastStartedAtMs: number | null } {
    const rows = (level
      ? this.#db.prepare(`SELECT status, COUNT(*) AS n, MAX(started_at_ms) AS last FROM migrations WHERE security_level = ? GROUP BY status`).all(level)
      : this.#db.prepare(`SELECT status, COUNT(*) AS n, MAX(started_at_ms) AS last FROM migrations GROUP BY status`).all()) as { status: string; n: number; last: number }[];
    const counts: Record<string, number> = {};
    let last: number | null = null;
    for (const r of rows) {
      counts[r.status] = r.n;
      last = last === null ? r.last : Math.max(last, r.last);
    }
    return { counts, lastStartedAtMs: last };
  }
}
