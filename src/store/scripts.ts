// Stored scripts: every version of every script id, with its source, hash and compile results.
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { LRUCache } from "lru-cache";
import { sourceHash } from "../source-hash.ts";
import { damagedValue, transaction } from "./database.ts";
import { rememberSourceBytes } from "./source-limit.ts";

export interface StoredScript {
  scriptId: string;
  version: number;
  source: string;
  sourceHash: string;
  language: "javascript" | "typescript";
  kind: "module" | "expression";
  name: string;
  metadata: Record<string, string>;
  diagnostics: { severity: "info" | "warning" | "error"; message: string; line: number; column: number }[];
  compiledAtMs: number;
  compileTimeMs: number;
  cacheKey: string;
  createdAtMs: number;
}

type NewScript = Omit<StoredScript, "version" | "createdAtMs">;

/**
 * A column's size in bytes: SQLite answers octet_length of a column from the row's header, without
 * reading the value (LENGTH(CAST(x AS BLOB)) read every source it measured, up to store.max_bytes).
 */
const bytesOfColumn = (column: string) => `octet_length(${column})`;
/** What a version takes against store.max_bytes: what the caller gave (source, name, metadata), in bytes. */
const ROW_BYTES = `(${bytesOfColumn("source")} + ${bytesOfColumn("name")} + ${bytesOfColumn("metadata_json")})`;
const bytesOf = (s: Pick<StoredScript, "source" | "name" | "metadata">) =>
  Buffer.byteLength(s.source) + Buffer.byteLength(s.name) + Buffer.byteLength(JSON.stringify(s.metadata));

/** A new version would take the stored scripts past store.max_bytes. */
export class StoreFullError extends Error {
  readonly reason = "RESOURCE_EXCEEDED";
  readonly resource = "script_store";
  readonly limit: number;
  constructor(limit: number, stored: number, adding: number) {
    super(`the script store is full: ${stored} bytes stored, ${adding} more would pass store.max_bytes (${limit})`);
    this.limit = limit;
  }
}

interface Row {
  script_id: string;
  version: number;
  source: string;
  source_hash: string;
  language: string;
  kind: string;
  name: string;
  metadata_json: string;
  diagnostics_json: string;
  compiled_at_ms: number;
  compile_time_ms: number;
  cache_key: string;
  created_at_ms: number;
  /** octet_length(source), where the query asks for it. */
  source_bytes?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scripts (
  script_id        TEXT NOT NULL,
  version          INTEGER NOT NULL,
  source           TEXT NOT NULL,
  source_hash      TEXT NOT NULL,
  language         TEXT NOT NULL,
  kind             TEXT NOT NULL,
  name             TEXT NOT NULL,
  metadata_json    TEXT NOT NULL,
  diagnostics_json TEXT NOT NULL,
  compiled_at_ms   INTEGER NOT NULL,
  compile_time_ms  REAL NOT NULL,
  cache_key        TEXT NOT NULL,
  created_at_ms    INTEGER,
  PRIMARY KEY (script_id, version)
)`;

/**
 * The last version each id was given, kept when its versions are deleted: a re-created id goes on
 * from there, so (id, version) never names two sources. Stores made before it was kept start it
 * from their rows (nextVersion takes the larger).
 */
const VERSIONS_SCHEMA = `
CREATE TABLE IF NOT EXISTS script_versions (
  script_id    TEXT PRIMARY KEY,
  last_version INTEGER NOT NULL
)`;

/**
 * created_at is the first version's compile time, kept on every version since older versions may
 * be pruned (stores made before it was kept get it from their oldest version).
 */
const ADD_CREATED_AT = [
  `ALTER TABLE scripts ADD COLUMN created_at_ms INTEGER`,
  `UPDATE scripts SET created_at_ms = (SELECT MIN(compiled_at_ms) FROM scripts f WHERE f.script_id = scripts.script_id) WHERE created_at_ms IS NULL`,
];

const SELECT = `SELECT s.*, ${bytesOfColumn("s.source")} AS source_bytes FROM scripts s`;
/** Every column but the source, whose size comes instead: a listing never loads sources. */
const SELECT_LISTED = `SELECT s.script_id, s.version, s.source_hash, s.language, s.kind, s.name, s.metadata_json, s.diagnostics_json,
  s.compiled_at_ms, s.compile_time_ms, s.cache_key, s.created_at_ms, ${bytesOfColumn("s.source")} AS source_size FROM scripts s`;

/** A stored version as listed: everything but its source, and the source's size in bytes. */
export type ListedScript = Omit<StoredScript, "source"> & { sourceSize: number };

function fromRow(r: Row): StoredScript {
  return {
    scriptId: r.script_id,
    version: r.version,
    source: r.source,
    sourceHash: r.source_hash,
    language: r.language as StoredScript["language"],
    kind: r.kind as StoredScript["kind"],
    name: r.name,
    metadata: JSON.parse(r.metadata_json),
    diagnostics: JSON.parse(r.diagnostics_json),
    compiledAtMs: r.compiled_at_ms,
    compileTimeMs: r.compile_time_ms,
    cacheKey: r.cache_key,
    createdAtMs: r.created_at_ms,
  };
}

/** Memory the recently read versions may take (UTF-16 sources, roughly). */
const RECENT_BYTES = 64 * 1024 * 1024;

export class ScriptRepository {
  readonly #db: DatabaseSync;
  readonly #latest: StatementSync;
  readonly #latestKeys: StatementSync;
  readonly #version: StatementSync;
  readonly #nextVersion: StatementSync;
  readonly #insert: StatementSync;
  readonly #page: StatementSync;
  readonly #count: StatementSync;
  /**
   * Versions read recently ("id@0" is the latest): executions read the store once per script, not
   * per call. Bounded by the size of their sources too: 10,000 sources of 1 MB would be 20 GB.
   */
  readonly #recent = new LRUCache<string, StoredScript>({
    max: 10_000,
    maxSize: RECENT_BYTES,
    sizeCalculation: (s) => 2 * (s.source.length + s.name.length) + 1024,
  });

  readonly #prune: StatementSync;
  readonly #prunedBytes: StatementSync;
  readonly #rowsOf: StatementSync;
  readonly #deleteAll: StatementSync;
  readonly #keepVersion: StatementSync;
  readonly #maxVersions: number;
  readonly #maxBytes: number;
  /** Bytes every stored version takes (ROW_BYTES; read once at open, then kept). */
  #bytes: number;
  /** Scripts, and their versions, whose source was over `maxSourceSize` bytes of UTF-8 at open (stored before it was lowered). */
  readonly sourcesOverLimit: { scripts: number; versions: number };

  /**
   * `maxVersions`: the latest versions of each script kept (older ones are removed); 0 keeps all.
   * `maxBytes`: all versions together (source, name, metadata); a version past it is refused; 0: no cap.
   * `maxSourceSize`: the limit `sourcesOverLimit` counts sources over; 0: none counted.
   */
  constructor(db: DatabaseSync, maxVersions = 0, maxBytes = 0, maxSourceSize = 0) {
    this.#db = db;
    this.#maxVersions = maxVersions;
    this.#maxBytes = maxBytes;
    db.exec(SCHEMA);
    db.exec(VERSIONS_SCHEMA);
    const columns = db.prepare(`PRAGMA table_info(scripts)`).all() as { name: string }[];
    if (!columns.some((c) => c.name === "created_at_ms")) transaction(db, () => { for (const sql of ADD_CREATED_AT) db.exec(sql); });
    this.#prune = db.prepare(`DELETE FROM scripts WHERE script_id = ? AND version <= ?`);
    this.#latest = db.prepare(`${SELECT} WHERE s.script_id = ? ORDER BY s.version DESC LIMIT 1`);
    this.#latestKeys = db.prepare(`SELECT cache_key, created_at_ms FROM scripts WHERE script_id = ? ORDER BY version DESC LIMIT 1`);
    this.#version = db.prepare(`${SELECT} WHERE s.script_id = ? AND s.version = ?`);
    this.#nextVersion = db.prepare(
      `SELECT MAX(COALESCE((SELECT MAX(version) FROM scripts WHERE script_id = :id), 0), COALESCE((SELECT last_version FROM script_versions WHERE script_id = :id), 0)) + 1 AS next`,
    );
    this.#keepVersion = db.prepare(
      `INSERT INTO script_versions (script_id, last_version) VALUES (?, ?) ON CONFLICT (script_id) DO UPDATE SET last_version = MAX(last_version, excluded.last_version)`,
    );
    this.#insert = db.prepare(
      `INSERT INTO scripts (script_id, version, source, source_hash, language, kind, name, metadata_json, diagnostics_json, compiled_at_ms, compile_time_ms, cache_key, created_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#page = db.prepare(
      `${SELECT_LISTED} WHERE s.script_id > ? AND s.version = (SELECT MAX(version) FROM scripts m WHERE m.script_id = s.script_id) ORDER BY s.script_id LIMIT ?`,
    );
    this.#count = db.prepare(`SELECT COUNT(DISTINCT script_id) AS n FROM scripts`);
    this.#prunedBytes = db.prepare(`SELECT COALESCE(SUM(${ROW_BYTES}), 0) AS n FROM scripts WHERE script_id = ? AND version <= ?`);
    this.#rowsOf = db.prepare(`SELECT cache_key, version, ${ROW_BYTES} AS bytes FROM scripts WHERE script_id = ?`);
    this.#deleteAll = db.prepare(`DELETE FROM scripts WHERE script_id = ?`);
    // One pass at open for the byte total and the sources over max_source_size.
    const over = `${bytesOfColumn("source")} > :limit`; // over NULL (no limit) is never true
    const open = db.prepare(
      `SELECT COALESCE(SUM(${ROW_BYTES}), 0) AS n, COUNT(DISTINCT CASE WHEN ${over} THEN script_id END) AS scripts, COUNT(CASE WHEN ${over} THEN 1 END) AS versions FROM scripts`,
    );
    const { n, scripts, versions } = open.get({ limit: maxSourceSize > 0 ? maxSourceSize : null }) as { n: number; scripts: number; versions: number };
    this.#bytes = n;
    this.sourcesOverLimit = { scripts, versions };
  }

  /**
   * Stores a new version of the script (version 1 for a new id) and returns it with its version;
   * versions older than the latest `maxVersions` are removed in the same transaction. Throws
   * StoreFullError, storing nothing, when the sources would then take more than `maxBytes`.
   */
  add(script: NewScript): { stored: StoredScript; previous?: Pick<StoredScript, "cacheKey" | "createdAtMs"> } {
    const added = transaction(this.#db, () => {
      // Not its source: a new version is not refused for a damaged latest one (nor pays to hash it).
      const latest = this.#latestKeys.get(script.scriptId) as { cache_key: string; created_at_ms: number } | undefined;
      const previous = latest && { cacheKey: latest.cache_key, createdAtMs: latest.created_at_ms };
      const version = (this.#nextVersion.get({ id: script.scriptId }) as { next: number }).next;
      const upTo = this.#maxVersions > 0 ? version - this.#maxVersions : 0;
      const adding = bytesOf(script);
      const freed = upTo > 0 ? (this.#prunedBytes.get(script.scriptId, upTo) as { n: number }).n : 0;
      const bytes = this.#bytes + adding - freed;
      if (this.#maxBytes > 0 && bytes > this.#maxBytes && adding > freed) throw new StoreFullError(this.#maxBytes, this.#bytes, adding);
      const createdAtMs = previous?.createdAtMs ?? script.compiledAtMs;
      this.#insert.run(
        script.scriptId,
        version,
        script.source,
        script.sourceHash,
        script.language,
        script.kind,
        script.name,
        JSON.stringify(script.metadata),
        JSON.stringify(script.diagnostics),
        script.compiledAtMs,
        script.compileTimeMs,
        script.cacheKey,
        createdAtMs,
      );
      this.#keepVersion.run(script.scriptId, version);
      const stored = { ...script, version, createdAtMs };
      this.#recent.delete(`${script.scriptId}@0`);
      if (upTo > 0) {
        this.#prune.run(script.scriptId, upTo);
        this.#forget(script.scriptId, (version) => version > 0 && version <= upTo);
      }
      return { stored, previous, bytes };
    });
    this.#bytes = added.bytes;
    return { stored: added.stored, previous: added.previous };
  }

  /** Drops the recently read versions of `scriptId` that `which` picks ("id@0", the latest, is version 0). */
  #forget(scriptId: string, which: (version: number) => boolean): void {
    for (const key of [...this.#recent.keys()]) {
      const at = key.lastIndexOf("@");
      if (key.slice(0, at) === scriptId && which(Number(key.slice(at + 1)))) this.#recent.delete(key);
    }
  }

  /** Bytes all stored versions take (source, name, metadata). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Deletes every version of a script; returns how many there were and their distinct cache keys.
   * Its last version is kept (script_versions): compiled again, the id goes on after it.
   */
  delete(scriptId: string): { versions: number; cacheKeys: string[] } {
    const removed = transaction(this.#db, () => {
      const rows = this.#rowsOf.all(scriptId) as { cache_key: string; bytes: number; version: number }[];
      if (rows.length > 0) this.#keepVersion.run(scriptId, Math.max(...rows.map((r) => r.version)));
      this.#deleteAll.run(scriptId);
      return rows;
    });
    for (const r of removed) this.#bytes -= r.bytes;
    this.#forget(scriptId, () => true);
    return { versions: removed.length, cacheKeys: [...new Set(removed.map((r) => r.cache_key))] };
  }

  /** The latest version, or the given one. */
  get(scriptId: string, version = 0): StoredScript | undefined {
    const key = `${scriptId}@${version}`;
    const hit = this.#recent.get(key);
    if (hit) return hit;
    const row = (version > 0 ? this.#version.get(scriptId, version) : this.#latest.get(scriptId)) as Row | undefined;
    if (!row) return undefined;
    // Checked once per read from the database (then cached): a value changed on disk, which SQLite
    // cannot tell, would otherwise run other code under the hash GetScript still reports.
    if (sourceHash(row.source) !== row.source_hash) {
      throw damagedValue(`script ${row.script_id} version ${row.version}: its stored source`, { script_id: row.script_id, version: row.version });
    }
    const script = fromRow(row);
    if (row.source_bytes !== undefined) rememberSourceBytes(script, row.source_bytes);
    this.#recent.set(key, script);
    return script;
  }

  /** Latest versions ordered by id, after `afterId`, without their sources (up to 1 MiB each). */
  list(afterId: string, limit: number): ListedScript[] {
    return (this.#page.all(afterId, limit) as unknown as (Omit<Row, "source"> & { source_size: number })[]).map((r) => {
      const { source: _none, ...rest } = fromRow({ ...r, source: "" });
      return { ...rest, sourceSize: r.source_size };
    });
  }

  /** Bytes the recently read versions take in memory (estimated, as bounded). */
  get recentBytes(): number {
    return this.#recent.calculatedSize;
  }

  count(): number {
    return (this.#count.get() as { n: number }).n;
  }
}
