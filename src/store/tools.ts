// Registered tools: one row per tool name (the live version). Replaced and removed versions live
// on as backups of the migration that replaced them (store/migrations.ts).
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Level } from "../config/types.ts";
import { sourceHash } from "../source-hash.ts";
import { damagedValue } from "./database.ts";
import { rememberSourceBytes } from "./source-limit.ts";

export interface StoredTool {
  toolId: string;
  name: string;
  description: string;
  inputSchema: Record<string, unknown> | null;
  outputSchema: Record<string, unknown> | null;
  version: string;
  tags: string[];
  securityLevel: Level;
  /** The tool's own source (as read from the legacy file or manifest). */
  source: string;
  language: "javascript" | "typescript";
  sourceHash: string;
  /** Host tools the source calls (http, fs). */
  hostTools: string[];
  migrationId: string;
  metadata: Record<string, string>;
  createdAtMs: number;
  updatedAtMs: number;
}

interface Row {
  tool_id: string;
  name: string;
  description: string;
  input_schema_json: string | null;
  output_schema_json: string | null;
  version: string;
  tags_json: string;
  security_level: string;
  source: string;
  language: string;
  source_hash: string;
  host_tools_json: string;
  migration_id: string;
  metadata_json: string;
  created_at_ms: number;
  updated_at_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tools (
  tool_id            TEXT PRIMARY KEY,
  name               TEXT NOT NULL UNIQUE,
  description        TEXT NOT NULL,
  input_schema_json  TEXT,
  output_schema_json TEXT,
  version            TEXT NOT NULL,
  tags_json          TEXT NOT NULL,
  security_level     TEXT NOT NULL,
  source             TEXT NOT NULL,
  language           TEXT NOT NULL,
  source_hash        TEXT NOT NULL,
  host_tools_json    TEXT NOT NULL,
  migration_id       TEXT NOT NULL,
  metadata_json      TEXT NOT NULL,
  created_at_ms      INTEGER NOT NULL,
  updated_at_ms      INTEGER NOT NULL
)`;

function fromRow(r: Row): StoredTool {
  return {
    toolId: r.tool_id,
    name: r.name,
    description: r.description,
    inputSchema: r.input_schema_json === null ? null : JSON.parse(r.input_schema_json),
    outputSchema: r.output_schema_json === null ? null : JSON.parse(r.output_schema_json),
    version: r.version,
    tags: JSON.parse(r.tags_json),
    securityLevel: r.security_level as Level,
    source: r.source,
    language: r.language as StoredTool["language"],
    sourceHash: r.source_hash,
    hostTools: JSON.parse(r.host_tools_json),
    migrationId: r.migration_id,
    metadata: JSON.parse(r.metadata_json),
    createdAtMs: r.created_at_ms,
    updatedAtMs: r.updated_at_ms,
  };
}

/** Tool versions (id and hash) whose stored source was found to match: each is hashed once, not at every call. */
const VERIFIED_KEPT = 4096;


export class ToolRepository {
  readonly #byName: StatementSync;
  readonly #byId: StatementSync;
  readonly #has: StatementSync;
  readonly #verified = new Set<string>();
  readonly #insert: StatementSync;
  readonly #delete: StatementSync;
  readonly #page: StatementSync;
  readonly #count: StatementSync;
  readonly #countLevel: StatementSync;
  readonly #countOver: StatementSync;

  constructor(db: DatabaseSync) {
    db.exec(SCHEMA);
    // With the source's size, read from the row's header: a call checks it against max_source_size.
    this.#byName = db.prepare(`SELECT *, octet_length(source) AS source_bytes FROM tools WHERE name = ?`);
    this.#byId = db.prepare(`SELECT * FROM tools WHERE tool_id = ?`);
    this.#has = db.prepare(`SELECT 1 FROM tools WHERE name = ?`);
    this.#insert = db.prepare(
      `INSERT INTO tools (tool_id, name, description, input_schema_json, output_schema_json, version, tags_json, security_level, source, language, source_hash, host_tools_json, migration_id, metadata_json, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#delete = db.prepare(`DELETE FROM tools WHERE name = ?`);
    // A listing never loads sources (up to max_source_size each): '' stands in for them.
    this.#page = db.prepare(
      `SELECT tool_id, name, description, input_schema_json, output_schema_json, version, tags_json, security_level, '' AS source, language,
         source_hash, host_tools_json, migration_id, metadata_json, created_at_ms, updated_at_ms FROM tools WHERE name > ? AND (? = '' OR EXISTS (SELECT 1 FROM json_each(tags_json) WHERE value = ?)) ORDER BY name LIMIT ?`,
    );
    this.#count = db.prepare(`SELECT COUNT(*) AS n FROM tools`);
    this.#countLevel = db.prepare(`SELECT COUNT(*) AS n FROM tools WHERE security_level = ?`);
    // octet_length of a column is read from the row's header, not from the source it measures.
    this.#countOver = db.prepare(`SELECT COUNT(*) AS n FROM tools WHERE octet_length(source) > ?`);
  }

  get(name: string): StoredTool | undefined {
    const row = this.#byName.get(name) as (Row & { source_bytes: number }) | undefined;
    if (!row) return undefined;
    const tool = fromRow(this.#checked(row));
    rememberSourceBytes(tool, row.source_bytes);
    return tool;
  }

  /**
   * A loaded row whose source is not what was stored (its source_hash; a tool migrated without a
   * source has '' for both) is DATA_LOSS: it would run other code under the registered tool's name.
   * Checked at a version's first load, as a script's is when it is read into the cache: a tool call
   * loads its tool each time, and hashing a 100 KB source each time cost ~0.13 ms.
   */
  #checked(r: Row): Row {
    const key = `${r.tool_id}\0${r.source_hash}`;
    if (this.#verified.has(key)) return r;
    if ((r.source_hash !== "" || r.source !== "") && sourceHash(r.source) !== r.source_hash) {
      throw damagedValue(`tool ${r.name}: its stored source`, { tool: r.name, tool_id: r.tool_id });
    }
    if (this.#verified.size >= VERIFIED_KEPT) this.#verified.clear();
    this.#verified.add(key);
    return r;
  }

  /** Whether a tool is registered under `name`, without loading (or checking) its source. */
  has(name: string): boolean {
    return this.#has.get(name) !== undefined;
  }

  getById(toolId: string): StoredTool | undefined {
    const row = this.#byId.get(toolId) as Row | undefined;
    return row ? fromRow(this.#checked(row)) : undefined;
  }

  /** Inserts the tool, replacing the one registered under its name. Call inside a transaction. */
  put(t: StoredTool): void {
    this.#delete.run(t.name);
    this.#insert.run(
      t.toolId,
      t.name,
      t.description,
      t.inputSchema === null ? null : JSON.stringify(t.inputSchema),
      t.outputSchema === null ? null : JSON.stringify(t.outputSchema),
      t.version,
      JSON.stringify(t.tags),
      t.securityLevel,
      t.source,
      t.language,
      t.sourceHash,
      JSON.stringify(t.hostTools),
      t.migrationId,
      JSON.stringify(t.metadata),
      t.createdAtMs,
      t.updatedAtMs,
    );
  }

  remove(name: string): boolean {
    return Number(this.#delete.run(name).changes) > 0;
  }

  /** Tools ordered by name after `afterName`, optionally only those carrying `tag`; without their sources (source ''). */
  list(afterName: string, tag: string, limit: number): StoredTool[] {
    return (this.#page.all(afterName, tag, tag, limit) as unknown as Row[]).map(fromRow);
  }

  count(level?: Level): number {
    return ((level ? this.#countLevel.get(level) : this.#count.get()) as { n: number }).n;
  }

  /** Tools whose source is over `bytes` of UTF-8 (stored before max_source_size was lowered). */
  countSourcesOver(bytes: number): number {
    return (this.#countOver.get(bytes) as { n: number }).n;
  }
}
