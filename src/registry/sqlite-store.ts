// RegistryStore on Node's built-in SQLite (node:sqlite, WAL). It owns one table,
// `registry_registrations`, so it can share a database file with the rest of the service.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { ServiceInfoSchema } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import type { RegistrationRecord, RegistryStore } from "./store.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS registry_registrations (
  service_id           TEXT PRIMARY KEY,
  service_type         TEXT NOT NULL,
  info_json            TEXT NOT NULL,
  lease_id             TEXT NOT NULL,
  ttl_ms               INTEGER NOT NULL,
  expires_at_ms        INTEGER NOT NULL,
  registered_at_ms     INTEGER NOT NULL,
  last_heartbeat_at_ms INTEGER NOT NULL,
  owner                TEXT
)`;

interface Row {
  service_id: string;
  info_json: string;
  lease_id: string;
  ttl_ms: number;
  expires_at_ms: number;
  registered_at_ms: number;
  last_heartbeat_at_ms: number;
  owner: string | null;
}

export class SqliteRegistryStore implements RegistryStore {
  readonly #db: DatabaseSync;
  readonly #ownsDb: boolean;
  readonly #select: StatementSync;
  readonly #upsert: StatementSync;
  readonly #delete: StatementSync;
  readonly #synchronous: StatementSync;

  /** A database file path (created with its directory if missing) or an open database to share. */
  constructor(pathOrDb: string | DatabaseSync) {
    if (typeof pathOrDb === "string") {
      if (pathOrDb !== ":memory:") mkdirSync(dirname(pathOrDb), { recursive: true });
      this.#db = new DatabaseSync(pathOrDb);
      this.#ownsDb = true;
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;");
    } else {
      this.#db = pathOrDb;
      this.#ownsDb = false;
    }
    this.#db.exec(SCHEMA);
    // Tables created before owners were recorded: their rows load with no owner (NULL).
    const columns = this.#db.prepare("PRAGMA table_info(registry_registrations)").all() as { name: string }[];
    if (!columns.some((c) => c.name === "owner")) this.#db.exec("ALTER TABLE registry_registrations ADD COLUMN owner TEXT");
    this.#select = this.#db.prepare(
      "SELECT service_id, info_json, lease_id, ttl_ms, expires_at_ms, registered_at_ms, last_heartbeat_at_ms, owner " +
        "FROM registry_registrations ORDER BY service_id",
    );
    this.#upsert = this.#db.prepare(
      "INSERT INTO registry_registrations (service_id, service_type, info_json, lease_id, ttl_ms, expires_at_ms, " +
        "registered_at_ms, last_heartbeat_at_ms, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT(service_id) DO UPDATE SET service_type = excluded.service_type, info_json = excluded.info_json, " +
        "lease_id = excluded.lease_id, ttl_ms = excluded.ttl_ms, expires_at_ms = excluded.expires_at_ms, " +
        "registered_at_ms = excluded.registered_at_ms, last_heartbeat_at_ms = excluded.last_heartbeat_at_ms, " +
        "owner = excluded.owner",
    );
    this.#delete = this.#db.prepare("DELETE FROM registry_registrations WHERE service_id = ?");
    this.#synchronous = this.#db.prepare("PRAGMA synchronous");
  }

  load(): RegistrationRecord[] {
    const out: RegistrationRecord[] = [];
    for (const row of this.#select.all() as unknown as Row[]) {
      let info;
      try {
        info = fromJsonString(ServiceInfoSchema, row.info_json);
      } catch {
        this.#delete.run(row.service_id); // unreadable: drop it rather than fail startup
        continue;
      }
      out.push({
        info,
        leaseId: row.lease_id,
        ttlMs: Number(row.ttl_ms),
        expiresAtMs: Number(row.expires_at_ms),
        registeredAtMs: Number(row.registered_at_ms),
        lastHeartbeatAtMs: Number(row.last_heartbeat_at_ms),
        ...(row.owner === null ? {} : { owner: row.owner }),
      });
    }
    return out;
  }

  save(r: RegistrationRecord, renewal = false): void {
    // A renewal is committed without its own sync (the next synced commit carries it): with
    // synchronous = FULL every service's heartbeat would otherwise hold the event loop for an fsync.
    const sync = renewal ? (this.#synchronous.get() as { synchronous: number }).synchronous : 0;
    if (sync > 1) this.#db.exec("PRAGMA synchronous = NORMAL");
    try {
      this.#upsertRow(r);
    } finally {
      if (sync > 1) this.#db.exec(`PRAGMA synchronous = ${sync}`);
    }
  }

  #upsertRow(r: RegistrationRecord): void {
    this.#upsert.run(
      r.info.serviceId,
      r.info.serviceType,
      toJsonString(ServiceInfoSchema, r.info),
      r.leaseId,
      r.ttlMs,
      r.expiresAtMs,
      r.registeredAtMs,
      r.lastHeartbeatAtMs,
      r.owner ?? null,
    );
  }

  remove(serviceId: string): void {
    this.#delete.run(serviceId);
  }

  /** Closes the database if this store opened it. */
  close(): void {
    if (this.#ownsDb && this.#db.isOpen) this.#db.close();
  }
}
