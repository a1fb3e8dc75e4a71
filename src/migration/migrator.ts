// The migration service's behaviour: migrate (one tool, a directory, dry runs), validate and
// auto-fix, roll back, list, aggregate. Protocol-free apart from the result messages it builds.
//
// Durability: a migration is recorded IN_PROGRESS before any work, then finished in ONE store
// transaction that writes the backups, the tool change and the COMPLETED row together; a rollback
// is one transaction too. A crash therefore leaves the old state or the new one; at startup
// `recover()` marks migrations left IN_PROGRESS as FAILED (nothing of theirs was applied).
// Concurrency: one migration or rollback per tool name at a time (in-process lock, backed by a
// unique index on IN_PROGRESS rows); a second is MIGRATION_IN_PROGRESS (FAILED_PRECONDITION).
import { randomUUID } from "node:crypto";
import { sourceHash as sha256 } from "../source-hash.ts";
import type { DatabaseSync } from "node:sqlite";
import { create, fromJson, toJson, type JsonValue as PbJson } from "@bufbuild/protobuf";
import { ValueSchema, timestampFromMs, timestampNow } from "@bufbuild/protobuf/wkt";
import {
  AutoFixResultSchema,
  MigrationInfoSchema,
  MigrationResultSchema,
  MigrationState,
  MigrationStatusSchema,
  RollbackAction,
  RollbackResultSchema,
  ValidationIssueSchema,
  ValidationResultSchema,
  ValidationStatus,
  type MigrationInfo,
  type MigrationResult,
  type MigrationStatus,
  type RollbackResult,
  type ValidationIssue,
  type ValidationResult,
} from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { Severity } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ServiceEventSchema, type ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import type { Config, Level } from "../config/types.ts";
import { EngineError, type Engine } from "../engine/index.ts";
import type { Logger } from "../log.ts";
import { ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { messageOf, serviceError } from "../errors.ts";
import { durationOf } from "../api/duration.ts";
import { LEVEL_TO_PROTO } from "../api/config-message.ts";
import { pageWithin, transaction } from "../store/database.ts";
import type { ToolRepository, StoredTool } from "../store/tools.ts";
import type { LegacyRef, MigrationRepository, MigrationStatusName, StoredMigration } from "../store/migrations.ts";
import { OUT_OF_STACK, type SchemaValidator, type ToolRegistry } from "../tools/registry.ts";
import { inferInputSchema, languageOf } from "../tools/registry-source.ts";
import { canonicalJson } from "../tools/canonical-json.ts";
import { CHECKS, NAME_RE, VALIDATE_CHECKS, checkValidationOptions, engineUnavailable, oversized, runChecks, type CheckReport, type ValidationOptions } from "./checks.ts";
import { LegacyRoot, type LegacyTool } from "./legacy.ts";
import { failedChangeResult, rolledBackResult } from "./rollback-result.ts";
import { schemaFilledResult } from "./auto-fix-result.ts";

export interface MigrateOptions {
  /** Empty: the tool's own name (a file source is then required). */
  toolName: string;
  level: Level;
  force: boolean;
  preserveToolId: boolean;
  backupOriginal: boolean;
  dryRun: boolean;
  validation: ValidationOptions;
  metadata: Record<string, string>;
  /** `unreadable`: a directory run's, why the listing found the file cannot be read (its name is not UTF-8). */
  source?: { filePath?: string; manifestPath?: string; unreadable?: string };
  /** Auto-fix re-migration: keep this tool id. */
  keepToolId?: string;
  /** Auto-fix re-migration: the caller already holds the tool's lock. */
  lockHeld?: boolean;
}

/** Throws unless the caller may change a tool registered at this level (its principal's maximum); `tool` names it in the refusal. */
export type LevelCheck = (level: Level, tool?: string) => void;

/** The call a migration runs for (not stored with it). */
export interface MigrateCall {
  /** The caller's: once aborted (cancelled, deadline passed), the engine work stops and nothing is applied. */
  signal?: AbortSignal;
  /** MigrateDirectory: the tool names this run has migrated so far (dry: would have), with the source of each. */
  claimed?: Map<string, string>;
  /**
   * Vets the level of the tool a forced migration would replace (removing it is changing it).
   * Left out only by a caller that has vetted it already (auto-fix re-migrates at the tool's level).
   */
  mayReplace?: LevelCheck;
}

/**
 * The caller has gone (cancelled, or its deadline passed). Like an engine that stopped under the
 * migration, this says nothing about the tool: the migration is dropped, not recorded FAILED.
 */
function stopIfAbandoned(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineError("CANCELLED", "the caller cancelled the call or its deadline passed");
}

export interface MigratorDeps {
  config: Config;
  db: DatabaseSync;
  engine: Engine;
  tools: ToolRepository;
  migrations: MigrationRepository;
  registry: ToolRegistry;
  schemas: SchemaValidator;
  publish: (event: ServiceEvent) => void;
  log: Logger;
  /** Test only: hold every finishing transaction open this long (to kill the process inside it). */
  testCommitDelayMs?: number;
}

const STATE: Record<MigrationStatusName, MigrationState> = {
  pending: MigrationState.PENDING,
  in_progress: MigrationState.IN_PROGRESS,
  completed: MigrationState.COMPLETED,
  failed: MigrationState.FAILED,
  rolled_back: MigrationState.ROLLED_BACK,
  dry_run: MigrationState.DRY_RUN,
};
export const STATE_NAME = Object.fromEntries(Object.entries(STATE).map(([k, v]) => [v, k])) as Record<MigrationState, MigrationStatusName>;

/**
 * The MigrationResult.metadata keys the engine writes over a caller's MigrationConfig.metadata: a
 * caller's entry of that name would be lost from the result (and its events) while the migration's
 * record (MigrationInfo.metadata) kept it, so MigrateTool and MigrateDirectory refuse one.
 */
export const ENGINE_METADATA_KEYS: readonly string[] = [
  "source", "source_hash", "security_level", "dry_run", "tool_version", "host_tools", "checks_run", "replaced_tool_id", "backup_ids",
  "auto_fix", // auto_fix: a re-migration's, and a filled schema's (auto-fix-result.ts)
  "rolled_back_at", "rollback_action", "rollback_reason", "restored_tool_id", "restored_version", "failed_change", // rollback-result.ts
];

/**
 * What a migration took from its original: the code and, for a manifest entry, what the entry
 * says (it wins over the code's own exports), so that an edit to either shows as a change.
 */
const originalHashOf = (l: LegacyTool) => (l.source === undefined ? "" : sha256(l.manifest ? `${l.source}\n${canonicalJson(l.manifest)}` : l.source));
const refText = (r: LegacyRef | null) => (!r ? "" : r.kind === "manifest" ? `manifest:${r.path}#${r.entry ?? ""}` : `file:${r.path}`);
const value = (v: unknown) => fromJson(ValueSchema, (v ?? null) as PbJson);

/**
 * The name a migration of a tool that names itself nothing is recorded under, from its file's
 * name: made one filter.tool_name takes ("my tool" → my_tool, "café" → caf_), or its failure
 * could be found only by listing every migration. Its metadata_valid error quotes what it names.
 */
function recordedName(fileName: string): string {
  if (NAME_RE.test(fileName)) return fileName;
  const n = fileName.replace(/[^A-Za-z0-9_-]/g, "_");
  return (/^[A-Za-z_]/.test(n) ? n : `_${n}`).slice(0, 64);
}

export class Migrator {
  readonly #d: MigratorDeps;
  readonly #root: LegacyRoot;
  readonly #busy = new Set<string>();
  /** Migrations left IN_PROGRESS by a refused write whose MigrationCompleted was published already. */
  readonly #endAnnounced = new Set<string>();

  constructor(deps: MigratorDeps) {
    this.#d = deps;
    this.#root = new LegacyRoot(deps.config.tools.legacyRoot, deps.config.maxSourceSize);
  }

  get root(): LegacyRoot {
    return this.#root;
  }

  /** Startup: migrations left IN_PROGRESS by a crash changed nothing; mark them FAILED. */
  recover(): number {
    const left = this.#d.migrations.inProgress();
    for (const m of left) {
      this.#markFailed(m, "the server stopped while this migration was in progress; nothing was applied");
      this.#d.log.warn("migration interrupted by a restart marked failed", { migration_id: m.migrationId, tool: m.toolName });
    }
    return left.length;
  }

  /**
   * Under the tool's lock, an IN_PROGRESS row of it is an earlier call's whose end the store refused
   * (a full disk fails the finishing transaction and then the FAILED mark): nothing of it was applied.
   * Left, it made every later change of the tool MIGRATION_IN_PROGRESS until a restart.
   */
  #settleLeftovers(name: string): void {
    for (const m of this.#d.migrations.inProgress()) {
      if (m.toolName !== name) continue;
      this.#markFailed(m, "the store could not record this migration's end; nothing was applied", !this.#endAnnounced.has(m.migrationId));
      this.#endAnnounced.delete(m.migrationId);
      this.#d.log.warn("migration left in progress by a refused write marked failed", { migration_id: m.migrationId, tool: m.toolName });
    }
  }

  /** Marks an IN_PROGRESS migration FAILED with `message`, and announces its end (unless `announce` is false: it was). */
  #markFailed(m: StoredMigration, message: string, announce = true): void {
    const result = create(MigrationResultSchema, {
      migrationId: m.migrationId,
      toolName: m.toolName,
      status: MigrationState.FAILED,
      duration: durationOf(Date.now() - m.startedAtMs),
      errors: [...m.errors, message],
      warnings: m.warnings,
    });
    this.#d.migrations.update(m.migrationId, {
      status: "failed",
      completedAtMs: Date.now(),
      durationMs: Date.now() - m.startedAtMs,
      errors: [...m.errors, message],
      result: toJson(MigrationResultSchema, result),
    });
    // Subscribers saw its MigrationStarted: every one gets a MigrationCompleted.
    if (announce) this.#completed(result);
  }

  /** MIGRATION_IN_PROGRESS while a migration or rollback of the tool holds its lock. */
  #refuseIfBusy(name: string): void {
    if (this.#busy.has(name)) {
      throw serviceError("MIGRATION_IN_PROGRESS", `a migration or rollback of ${name} is in progress`, { metadata: { tool: name }, retryAfterMs: 1000 });
    }
  }

  #lock(name: string): () => void {
    this.#refuseIfBusy(name);
    this.#busy.add(name);
    return () => this.#busy.delete(name);
  }

  #pause(what: string): void {
    const ms = this.#d.testCommitDelayMs ?? 0;
    if (ms <= 0) return;
    this.#d.log.warn("test hook: holding the transaction open", { what, ms });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  #read(o: MigrateOptions): LegacyTool {
    if (o.source?.filePath && o.source.unreadable) {
      return { ref: { kind: "file", path: o.source.filePath }, readError: o.source.unreadable, language: languageOf(o.source.filePath) };
    }
    if (o.source?.filePath) return this.#root.readFile(o.source.filePath);
    if (o.source?.manifestPath) {
      if (!o.toolName) throw serviceError("VALIDATION_ERROR", "tool_name is required with a manifest source", { field: "tool_name" });
      return this.#root.readManifestEntry(o.source.manifestPath, o.toolName);
    }
    if (!o.toolName) throw serviceError("VALIDATION_ERROR", "tool_name or config.source is required", { field: "tool_name" });
    return this.#root.find(o.toolName);
  }

  #started(toolName: string, migrationId: string) {
    this.#d.publish(create(ServiceEventSchema, { event: { case: "migrationStarted", value: { toolName, migrationId } } }));
  }

  /** `success` defaults to what a migration's result says; a rollback's says its own. */
  #completed(result: MigrationResult, success = result.status === MigrationState.COMPLETED || (result.status === MigrationState.DRY_RUN && result.errors.length === 0)) {
    this.#d.publish(create(ServiceEventSchema, { event: { case: "migrationCompleted", value: { toolName: result.toolName, migrationId: result.migrationId, success, result } } }));
  }

  async migrate(o: MigrateOptions, call: MigrateCall = {}): Promise<MigrationResult> {
    const { signal } = call;
    checkValidationOptions(o.validation, CHECKS, "config.validation");
    const t0 = performance.now();
    const startedAtMs = Date.now();
    const migrationId = `mig-${randomUUID()}`;
    const legacy = this.#read(o);
    let name = o.toolName;
    if (!name) {
      // The tool names itself: load it once (compile + describe, no smoke run) to learn the name.
      const pre = await runChecks(this.#d, { legacy, expectedName: "", level: o.level, options: { ...o.validation, checks: ["metadata_valid"], skipChecks: [] }, signal });
      const declared = /export\s+const\s+name\s*=\s*["'`]([A-Za-z_][\w-]{0,63})["'`]/.exec(legacy.source ?? "")?.[1];
      name = pre.tool.name || declared || recordedName((legacy.ref.path.split("/").pop() ?? "").replace(/\.[^.]*$/, ""));
      stopIfAbandoned(signal);
    }
    // Two sources of one directory run naming the same tool: the second would replace the first's
    // tool (force) or meet it as TOOL_EXISTS. Entries of one manifest are its own check's. Only a
    // source that migrated (or, dry, would have) claims its name: one that failed changed nothing.
    const first = call.claimed?.get(name);
    if (first !== undefined && first !== legacy.ref.path) {
      throw serviceError("VALIDATION_ERROR", `duplicate of ${first} in this run`, { metadata: { tool: name } });
    }
    const release = o.lockHeld ? () => {} : this.#lock(name);
    try {
      const errors: string[] = [];
      const existing = this.#d.tools.get(name);
      // Before anything is recorded, dry runs too: a caller may not even try a replacement it may not make.
      if (existing && o.force) call.mayReplace?.(existing.securityLevel, name);
      if (existing && !o.force) {
        const msg = `a tool named ${name} is already registered (tool ${existing.toolId}); set force to replace it`;
        if (!o.dryRun) throw serviceError("TOOL_EXISTS", msg, { metadata: { tool: name, tool_id: existing.toolId } });
        errors.push(msg);
      }
      const source = legacy.source ?? "";
      const originalHash = originalHashOf(legacy);
      const sourceHash = legacy.source === undefined ? "" : sha256(source);
      const base: Omit<StoredMigration, "seq"> = {
        migrationId,
        toolName: name,
        toolId: "",
        status: "in_progress",
        securityLevel: o.level,
        startedAtMs,
        completedAtMs: null,
        durationMs: 0,
        source: legacy.ref,
        originalHash,
        replacedToolId: existing?.toolId ?? "",
        config: { ...o, keepToolId: undefined, lockHeld: undefined },
        result: null,
        warnings: [],
        errors: [],
        metadata: o.metadata,
        rollback: null,
      };
      if (!o.dryRun) {
        this.#settleLeftovers(name);
        try {
          this.#d.migrations.insert(base);
        } catch (err) {
          if (String(err).includes("UNIQUE")) throw serviceError("MIGRATION_IN_PROGRESS", `a migration of ${name} is in progress`, { metadata: { tool: name }, retryAfterMs: 1000 });
          throw err;
        }
      }
      this.#started(name, migrationId);
      const fail = (message: string) => {
        if (o.dryRun) return;
        this.#d.migrations.update(migrationId, { status: "failed", completedAtMs: Date.now(), durationMs: performance.now() - t0, errors: [...errors, message] });
      };
      try {
        const report = await runChecks(this.#d, { legacy, expectedName: name, nameGiven: Boolean(o.toolName), level: o.level, options: o.validation, signal });
        // A caller gone during the checks gets nothing recorded: its smoke run was stopped, not failed.
        stopIfAbandoned(signal);
        const warnings = [...report.warnings];
        errors.push(...report.errors);
        let toolId = o.keepToolId ?? `tool-${randomUUID()}`;
        if (o.preserveToolId && !o.keepToolId) {
          toolId = report.tool.legacyId || name;
          const holder = this.#d.tools.getById(toolId);
          if (holder && holder.name !== name) errors.push(`tool id ${toolId} is already held by the tool ${holder.name}`);
        }
        if (existing && o.force && !o.backupOriginal) {
          warnings.push(`the replaced tool ${existing.toolId} is not backed up (backup_original is off): this migration cannot be rolled back`);
        }
        const metadata: Record<string, unknown> = {
          ...o.metadata,
          source: refText(legacy.ref),
          source_hash: sourceHash,
          security_level: o.level,
          dry_run: o.dryRun,
          host_tools: report.tool.hostTools,
          checks_run: report.checks.filter((c) => c.status !== ValidationStatus.SKIPPED).map((c) => c.name),
        };
        // No version known until the module loaded (the checks' tool is a placeholder before): a source
        // not read, not compiling or failing to load has none, as one not read has no source_hash.
        if (report.tool.loaded) metadata.tool_version = report.tool.version;
        if (existing) metadata.replaced_tool_id = existing.toolId;
        const validation = create(ValidationResultSchema, {
          validationId: `val-${randomUUID()}`,
          toolName: name,
          status: report.status,
          checks: report.checks,
          issues: report.issues,
          timestamp: timestampNow(),
        });
        const ok = report.status !== ValidationStatus.FAILED && report.registrable && errors.length === 0;
        const build = (status: MigrationState, extra: { newToolId?: string; metadata?: Record<string, unknown> } = {}) =>
          create(MigrationResultSchema, {
            migrationId,
            toolName: name,
            status,
            newToolId: extra.newToolId,
            duration: durationOf(performance.now() - t0),
            validationResults: [validation],
            warnings,
            errors: status === MigrationState.FAILED && errors.length === 0 ? ["validation failed"] : errors,
            metadata: Object.fromEntries(Object.entries({ ...metadata, ...extra.metadata }).map(([k, v]) => [k, value(v)])),
          });

        if (o.dryRun) {
          const result = build(MigrationState.DRY_RUN, { newToolId: ok ? toolId : undefined });
          if (ok) call.claimed?.set(name, legacy.ref.path);
          this.#d.migrations.insert({ ...base, status: "dry_run", toolId: ok ? toolId : "", completedAtMs: Date.now(), durationMs: performance.now() - t0, result: toJson(MigrationResultSchema, result), warnings, errors: result.errors });
          this.#completed(result);
          return result;
        }
        if (!ok) {
          const result = build(MigrationState.FAILED);
          this.#d.migrations.update(migrationId, { status: "failed", completedAtMs: Date.now(), durationMs: performance.now() - t0, result: toJson(MigrationResultSchema, result), warnings, errors: result.errors });
          this.#completed(result);
          return result;
        }
        const now = Date.now();
        const tool: StoredTool = {
          toolId,
          name,
          description: report.tool.description,
          inputSchema: report.tool.inputSchema,
          outputSchema: report.tool.outputSchema,
          version: report.tool.version,
          tags: report.tool.tags,
          securityLevel: o.level,
          source,
          language: legacy.language,
          sourceHash,
          hostTools: report.tool.hostTools,
          migrationId,
          metadata: o.metadata,
          createdAtMs: o.keepToolId && existing ? existing.createdAtMs : now,
          updatedAtMs: now,
        };
        const backups: string[] = [];
        if (o.backupOriginal) {
          backups.push(`bak-${randomUUID()}`);
          if (existing) backups.push(`bak-${randomUUID()}`);
        }
        const result = build(MigrationState.COMPLETED, { newToolId: toolId, metadata: { backup_ids: backups } });
        // Nothing commits once the caller has gone: it was told the call failed.
        stopIfAbandoned(signal);
        transaction(this.#d.db, () => {
          if (o.backupOriginal) {
            this.#d.migrations.addBackup({ backupId: backups[0], migrationId, kind: "original", original: { source, sourceHash, ref: legacy.ref }, createdAtMs: now });
            if (existing) this.#d.migrations.addBackup({ backupId: backups[1], migrationId, kind: "replaced_tool", tool: existing, createdAtMs: now });
          }
          this.#d.tools.put(tool);
          this.#d.migrations.update(migrationId, {
            status: "completed",
            toolId,
            completedAtMs: Date.now(),
            durationMs: performance.now() - t0,
            result: toJson(MigrationResultSchema, result),
            warnings,
            errors,
          });
          this.#pause("migration");
        });
        this.#d.log.info("tool migrated", { migration_id: migrationId, tool: name, tool_id: toolId, security_level: o.level, replaced: existing?.toolId });
        call.claimed?.set(name, legacy.ref.path);
        this.#completed(result);
        return result;
      } catch (err) {
        // The engine stopped (or could not run a check) under the migration: nothing was applied
        // and nothing is wrong with the tool, so it leaves no record and the caller retries. Its
        // MigrationStarted still gets an end: a MigrationCompleted, success false, saying so.
        const interrupted = engineUnavailable(err);
        const message = interrupted ? `the migration did not finish, nothing was changed: ${messageOf(err)}` : `migration failed: ${messageOf(err)}`;
        try {
          if (!interrupted) fail(message);
          else if (!o.dryRun) this.#d.migrations.dropInProgress(migrationId);
        } catch (unrecorded) {
          // The store refused that too (a full disk): the row stays IN_PROGRESS until the tool's
          // next change or a restart marks it FAILED; its end is announced now, once in this run.
          this.#endAnnounced.add(migrationId);
          this.#d.log.warn("a failed migration's end could not be recorded", { migration_id: migrationId, tool: name, error: messageOf(unrecorded) });
        }
        this.#completed(create(MigrationResultSchema, { migrationId, toolName: name, status: MigrationState.FAILED, errors: [...errors, message], duration: durationOf(performance.now() - t0) }));
        throw err;
      }
    } finally {
      this.#prune(name);
      release();
    }
  }

  /** The tool's oldest migration records go past store.max_migrations_per_tool; the live tool's never. */
  #prune(name: string): void {
    const keep = this.#d.config.store.maxMigrationsPerTool;
    if (keep <= 0) return;
    try {
      transaction(this.#d.db, () => this.#d.migrations.prune(name, keep, this.#d.tools.get(name)?.migrationId ?? ""));
    } catch (err) {
      this.#d.log.warn("old migrations could not be pruned", { tool: name, error: String(err) });
    }
  }

  /**
   * Every tool of a directory (and, with `recursive`, of its subdirectories), one result each; a
   * tool's failure does not stop the run, the engine's does: `ready` (which throws once the engine
   * no longer takes work) is asked before each tool, and an engine error ends the run.
   */
  async *migrateDirectory(
    directory: string,
    o: Omit<MigrateOptions, "toolName" | "source">,
    recursive = false,
    ready: () => void = () => {},
    signal?: AbortSignal,
    mayReplace?: LevelCheck,
  ): AsyncGenerator<{ total: number; done: number; result: MigrationResult }> {
    const entries = this.#root.list(directory, recursive);
    const claimed = new Map<string, string>();
    let done = 0;
    for (const e of entries) {
      ready();
      let result: MigrationResult;
      const toolName = e.entry ?? "";
      try {
        if (e.error) throw serviceError("VALIDATION_ERROR", e.error);
        result = await this.migrate({ ...o, toolName, source: e.file ? { filePath: e.file, unreadable: e.unreadable } : { manifestPath: e.manifest } }, { signal, claimed, mayReplace });
      } catch (err) {
        if (engineUnavailable(err)) throw err;
        // Refused before it was recorded (an existing tool without force, say): named as the
        // refusal names it, else by its entry or file.
        const refused = err instanceof ConnectError ? err.findDetails(ErrorInfoSchema)[0]?.metadata.tool : undefined;
        // A manifest entry that names no tool is its manifest's file name and its index there.
        const entry = e.index === undefined ? toolName : `[${e.index}]`;
        const fileName = (e.file ?? e.manifest ?? "").replace(/^.*\//, "");
        result = create(MigrationResultSchema, {
          migrationId: "",
          toolName: refused || toolName || (e.index === undefined ? fileName.replace(/\.[^.]*$/, "") : `${fileName}${entry}`),
          status: MigrationState.FAILED,
          errors: [messageOf(err)],
          metadata: { source: value(e.file ? `file:${e.file}` : `manifest:${e.manifest}#${entry}`) },
        });
      }
      done += 1;
      yield { total: entries.length, done, result };
    }
  }

  /**
   * Re-checks a registered tool against the engine and its original; with `mayChange` (auto-fix)
   * also repairs it, holding the tool's lock throughout so that no migration or rollback of it
   * runs between what the checks saw and what the fix writes.
   */
  async validate(toolName: string, options: ValidationOptions, how: { mayRun?: LevelCheck; mayChange?: LevelCheck; signal?: AbortSignal } = {}): Promise<ValidationResult> {
    const { mayChange, signal } = how;
    checkValidationOptions(options, VALIDATE_CHECKS, "validation");
    const found = this.#d.tools.get(toolName);
    // While the tool's first migration runs there is no tool yet: a fix is refused as a change in
    // progress (as a rollback is), not as "no tool".
    if (!found && mayChange) this.#refuseIfBusy(toolName);
    if (!found) throw serviceError("TOOL_NOT_FOUND", `no tool named ${toolName}`, { metadata: { tool: toolName } });
    // The checks run the tool's code at its level: only for a caller who could run code there.
    how.mayRun?.(found.securityLevel);
    if (!mayChange) {
      const report = await this.#checkLive(found, options, signal);
      stopIfAbandoned(signal);
      return this.#validationResult(toolName, report);
    }
    mayChange(found.securityLevel);
    const release = this.#lock(toolName);
    try {
      return await this.#autoFix(toolName, options, signal);
    } finally {
      release();
    }
  }

  async #autoFix(toolName: string, options: ValidationOptions, signal: AbortSignal | undefined): Promise<ValidationResult> {
    const tool = this.#d.tools.get(toolName);
    if (!tool) throw serviceError("TOOL_NOT_FOUND", `no tool named ${toolName}`, { metadata: { tool: toolName } });
    let report = await this.#checkLive(tool, options, signal);
    const applied: string[] = [];
    const extraUnresolved: ValidationIssue[] = [];
    const changed = report.issues.some((i) => i.check === "original_unchanged" && i.fixable);
    let live = tool;
    if (changed) {
      const m = this.#d.migrations.get(tool.migrationId);
      const cfg = (m?.config ?? {}) as Partial<MigrateOptions>;
      try {
        const r = await this.migrate({
          toolName,
          level: tool.securityLevel,
          force: true,
          preserveToolId: false,
          backupOriginal: true,
          dryRun: false,
          // The checks the tool was migrated with, run as this caller's (its concurrency, no longer than its smoke_run_timeout).
          validation: cfg.validation ? { ...cfg.validation, caller: options.caller, smokeTimeoutMs: Math.min(cfg.validation.smokeTimeoutMs ?? Infinity, options.smokeTimeoutMs) } : options,
          metadata: { ...tool.metadata, auto_fix: "re-migrated from the changed original" },
          source: m?.source ? (m.source.kind === "manifest" ? { manifestPath: m.source.path } : { filePath: m.source.path }) : undefined,
          keepToolId: tool.toolId,
          lockHeld: true,
        }, { signal });
        if (r.status === MigrationState.COMPLETED) applied.push(`re-migrated ${toolName} from its changed original (migration ${r.migrationId})`);
        else {
          extraUnresolved.push(
            ...r.errors.map((e) => create(ValidationIssueSchema, { check: "original_unchanged", severity: Severity.ERROR, message: `re-migration from the changed original failed: ${e}`, fixable: false, suggestion: "fix the legacy source, then validate again" })),
          );
        }
      } catch (err) {
        if (engineUnavailable(err)) throw err;
        extraUnresolved.push(create(ValidationIssueSchema, { check: "original_unchanged", severity: Severity.ERROR, message: `re-migration failed: ${(err as Error).message}`, fixable: false }));
      }
      live = this.#d.tools.get(toolName) ?? live;
    }
    const inferred = live.inputSchema === null ? inferInputSchema(live.source) : undefined;
    // Inferred from every `args.<name>` of the source: as unbounded as a declared schema, and held to
    // the same bounds (input_schema_valid), or each call and start would compile it on the event loop.
    const tooBig = inferred && oversized(inferred);
    if (tooBig) {
      extraUnresolved.push(
        create(ValidationIssueSchema, { check: "input_schema_valid", severity: Severity.WARNING, message: `the inputSchema inferred from the source ${tooBig.why}, so it was not filled in`, fixable: false, suggestion: "declare inputSchema in the legacy source" }),
      );
    } else if (inferred) {
      const fixed: StoredTool = { ...live, inputSchema: inferred, updatedAtMs: Date.now() };
      // The live tool's migration is never pruned; its record and a MigrationCompleted say what changed.
      const m = this.#d.migrations.get(live.migrationId);
      const filled = m && schemaFilledResult(m);
      stopIfAbandoned(signal);
      try {
        transaction(this.#d.db, () => {
          this.#d.tools.put(fixed);
          if (filled) this.#d.migrations.update(filled.migrationId, { result: toJson(MigrationResultSchema, filled) });
        });
      } catch (err) {
        // Refused by the store (a full disk, say): nothing changed, and it is said, as for a rollback.
        if (m) this.#completed(failedChangeResult(m, "auto_fix", "auto_fix filling inputSchema", messageOf(err)), false);
        throw err;
      }
      if (filled) this.#completed(filled, true);
      applied.push(`filled the missing inputSchema with one inferred from the source (properties: ${Object.keys((inferred.properties as object) ?? {}).join(", ") || "none"})`);
      live = fixed;
    }
    report = await this.#checkLive(live, options, signal);
    stopIfAbandoned(signal);
    const result = this.#validationResult(toolName, report);
    const unresolved = [...extraUnresolved, ...result.issues];
    result.autoFixResults = create(AutoFixResultSchema, { applied, unresolved, success: !unresolved.some((i) => i.severity === Severity.ERROR) });
    return result;
  }

  #validationResult(toolName: string, report: CheckReport): ValidationResult {
    return create(ValidationResultSchema, { validationId: `val-${randomUUID()}`, toolName, status: report.status, checks: report.checks, issues: report.issues, timestamp: timestampNow() });
  }

  /** The checks against the live tool (its stored metadata), plus original_unchanged. */
  #checkLive(tool: StoredTool, options: ValidationOptions, signal: AbortSignal | undefined): Promise<CheckReport> {
    const m = this.#d.migrations.get(tool.migrationId);
    return runChecks(this.#d, {
      legacy: {
        ref: m?.source ?? { kind: "file", path: tool.name },
        source: tool.source,
        language: tool.language,
        manifest: {
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema ?? undefined,
          outputSchema: tool.outputSchema ?? undefined,
          version: tool.version,
          tags: tool.tags,
        },
      },
      expectedName: tool.name,
      level: tool.securityLevel,
      options,
      signal,
      enabledNames: VALIDATE_CHECKS,
      extra: {
        original_unchanged: () => {
          if (!m?.source) return [{ severity: "warning", message: "the migration that registered this tool is unknown; the original cannot be compared" }];
          let now: LegacyTool;
          try {
            now = this.#root.read(m.source);
          } catch (err) {
            return [{ severity: "warning", message: `the original cannot be read: ${(err as Error).message}` }];
          }
          if (now.readError) return [{ severity: "warning", message: `the original cannot be read any more: ${now.readError}`, suggestion: "restore the legacy source, or keep the migrated tool as it is" }];
          const hash = sha256(now.source ?? "");
          // Manifest migrations recorded before entries were hashed with their metadata hold the code's hash.
          if (originalHashOf(now) !== m.originalHash && hash !== m.originalHash) {
            return [{ severity: "warning", message: `the original ${refText(m.source)} changed since migration ${m.migrationId}`, fixable: true, suggestion: "validate with auto_fix to re-migrate from the changed source" }];
          }
          if (hash !== tool.sourceHash) return [{ severity: "warning", message: "the registered tool's source differs from the original it was migrated from" }];
          return [];
        },
      },
    });
  }

  /**
   * The schemas of the tool a rollback restores, compiled and run once as a migration does, so that
   * its first call compiles nothing. A backup taken before input_schema_valid bounded a schema's
   * size may hold one it now fails: that is refused (MIGRATION_ERROR), not compiled, since its
   * compile would hold the event loop, every caller's, for seconds, here and at each start.
   */
  #restoredSchemas(name: string, m: StoredMigration, previous: StoredTool): ReturnType<ToolRegistry["prepareSchemas"]> {
    const refuse = (why: string, metadata: Record<string, string | number> = {}) =>
      serviceError("MIGRATION_ERROR", `cannot restore ${name} ${previous.version} (from migration ${previous.migrationId}) that migration ${m.migrationId} replaced: ${why}; migrate a fixed source instead`, {
        metadata: { tool: name, migration_id: m.migrationId, ...metadata },
      });
    for (const [field, schema] of [["inputSchema", previous.inputSchema], ["outputSchema", previous.outputSchema]] as const) {
      const tooBig = schema && oversized(schema);
      if (tooBig) throw refuse(`its ${field} ${tooBig.why}`, { schema: field, ...tooBig.metadata });
    }
    try {
      return this.#d.registry.prepareSchemas(previous);
    } catch (err) {
      throw refuse(err instanceof RangeError ? `its schemas cannot be used: ${OUT_OF_STACK}` : `its schemas do not compile: ${(err as Error).message}`);
    }
  }

  /** Undoes a completed migration; `mayChange` vets the level of the tool removed and of the one restored. */
  async rollback(toolName: string, migrationId: string, reason: string, mayChange: LevelCheck): Promise<RollbackResult> {
    const t0 = performance.now();
    let byId: StoredMigration | undefined;
    if (migrationId) {
      byId = this.#d.migrations.get(migrationId);
      if (!byId) throw serviceError("MIGRATION_NOT_FOUND", `no migration ${migrationId}`, { metadata: { migration_id: migrationId } });
      if (toolName && byId.toolName !== toolName) {
        throw serviceError("VALIDATION_ERROR", `migration ${migrationId} migrated ${byId.toolName}, not ${toolName}`, { field: "tool_name" });
      }
    } else if (!toolName) {
      throw serviceError("VALIDATION_ERROR", "tool_name or config.migration_id is required", { field: "tool_name" });
    }
    const name = byId?.toolName ?? toolName;
    // The lock before the latest migration is looked up: while the tool's first migration runs there
    // is none yet, and that is MIGRATION_IN_PROGRESS, not "nothing to roll back".
    const release = this.#lock(name);
    try {
      this.#settleLeftovers(name);
      // Read again: settling may just have marked the named migration FAILED.
      const m = byId ? (this.#d.migrations.get(byId.migrationId) ?? byId) : this.#d.migrations.latestForTool(name);
      if (!m) throw serviceError("MIGRATION_NOT_FOUND", `no migration of ${name} to roll back`, { metadata: { tool: name } });
      const current = this.#d.tools.get(name);
      const done = (action: RollbackAction, messages: string[], restored?: StoredTool) =>
        create(RollbackResultSchema, {
          success: true,
          toolName: name,
          migrationId: m.migrationId,
          action,
          restoredToolId: restored?.toolId ?? "",
          restoredVersion: restored?.version ?? "",
          messages,
          duration: durationOf(performance.now() - t0),
        });
      if (m.status === "rolled_back") {
        return done(RollbackAction.NOTHING_TO_DO, [`migration ${m.migrationId} was already rolled back${m.rollback ? ` (${m.rollback.action})` : ""}; nothing changed`], current);
      }
      if (m.status !== "completed") {
        return done(RollbackAction.NOTHING_TO_DO, [`migration ${m.migrationId} is ${m.status.replace("_", " ")}: it changed nothing, so there is nothing to restore`], current);
      }
      if (!current || current.migrationId !== m.migrationId) {
        throw serviceError(
          "MIGRATION_ERROR",
          current
            ? `${name} has changed since migration ${m.migrationId} (it is now from migration ${current.migrationId}); roll that one back first`
            : `${name} is no longer registered; migration ${m.migrationId} cannot be rolled back`,
          { metadata: { tool: name, migration_id: m.migrationId, current_migration_id: current?.migrationId } },
        );
      }
      let previous: StoredTool | undefined;
      if (m.replacedToolId) {
        previous = this.#d.migrations.backups(m.migrationId).find((b) => b.kind === "replaced_tool")?.tool;
        if (!previous) {
          throw serviceError("MIGRATION_ERROR", `migration ${m.migrationId} replaced tool ${m.replacedToolId} without a backup (backup_original was off); it cannot be restored`, {
            metadata: { tool: name, migration_id: m.migrationId },
          });
        }
      }
      mayChange(current.securityLevel);
      if (previous) {
        mayChange(previous.securityLevel);
        // A tool id preserved from a legacy id is free again once its tool was replaced; another
        // tool may hold it since.
        const holder = this.#d.tools.getById(previous.toolId);
        if (holder && holder.name !== name) {
          throw serviceError("MIGRATION_ERROR", `cannot restore ${name}: its tool id ${previous.toolId} is now held by the tool ${holder.name}`, {
            metadata: { tool: name, migration_id: m.migrationId, tool_id: previous.toolId, held_by: holder.name },
          });
        }
      }
      // Before anything changes: a restored tool's schemas are compiled here, by the rollback, not by a call.
      const tc = performance.now();
      const compiled = previous && this.#restoredSchemas(name, m, previous);
      const compileMs = Math.round(performance.now() - tc);
      const action = previous ? RollbackAction.RESTORED_PREVIOUS : RollbackAction.REMOVED_TOOL;
      const actionName = previous ? "restored_previous" : "removed_tool";
      const atMs = Date.now();
      const result = rolledBackResult(m, { atMs, action: actionName, reason, restored: previous });
      try {
        transaction(this.#d.db, () => {
          if (previous) this.#d.tools.put(previous);
          else this.#d.tools.remove(name);
          this.#d.migrations.update(m.migrationId, { status: "rolled_back", rollback: { atMs, reason, action: actionName }, result: toJson(MigrationResultSchema, result) });
          this.#pause("rollback");
        });
      } catch (err) {
        // The one failure after the checks passed (a full disk, say): nothing changed, and it is said.
        this.#completed(failedChangeResult(m, "rollback", "rollback", messageOf(err)), false);
        throw err;
      }
      if (compiled) {
        compiled.use();
        this.#d.log.info("tool schemas compiled", { tool: name, migration_id: m.migrationId, schemas: compiled.schemas, ms: compileMs });
      }
      this.#d.log.info("migration rolled back", { migration_id: m.migrationId, tool: name, action: actionName, reason });
      this.#completed(result, true);
      const messages = previous
        ? [`restored ${name} ${previous.version} (tool ${previous.toolId}, from migration ${previous.migrationId}) that migration ${m.migrationId} had replaced`]
        : [`removed ${name} (tool ${current.toolId}): migration ${m.migrationId} had created it`];
      if (reason) messages.push(`reason: ${reason}`);
      return done(action, messages, previous);
    } finally {
      release();
    }
  }

  list(q: { statuses: MigrationState[]; toolName: string; level: Level | ""; startedAfterMs?: number; startedBeforeMs?: number; beforeSeq: number; limit: number }): { items: MigrationInfo[]; lastSeq: number; more: boolean } {
    const rows = this.#d.migrations.list({
      statuses: q.statuses.map((s) => STATE_NAME[s]).filter(Boolean),
      toolName: q.toolName,
      level: q.level,
      startedAfterMs: q.startedAfterMs,
      startedBeforeMs: q.startedBeforeMs,
      beforeSeq: q.beforeSeq,
      limit: q.limit + 1,
    });
    // From above, in UTF-8 bytes (the wire's unit: CJK text is 3 per UTF-16 unit): the texts as JSON
    // (3 bytes around each string, 6 around a map entry), 4 more per entry (the wire frames an
    // entry as a message), and 512 for the rest.
    const bytesOf = (m: StoredMigration) =>
      Buffer.byteLength(JSON.stringify([m.warnings, m.errors, m.metadata, refText(m.source)])) + 4 * Object.keys(m.metadata).length + 512;
    const { page, more } = pageWithin(rows, q.limit, bytesOf);
    return { items: page.map((m) => this.#info(m)), lastSeq: page.length ? page[page.length - 1].seq : 0, more };
  }

  #info(m: StoredMigration): MigrationInfo {
    return create(MigrationInfoSchema, {
      migrationId: m.migrationId,
      toolName: m.toolName,
      toolId: m.toolId,
      status: STATE[m.status] ?? MigrationState.UNSPECIFIED,
      securityLevel: LEVEL_TO_PROTO[m.securityLevel],
      startedAt: timestampFromMs(m.startedAtMs),
      completedAt: m.completedAtMs ? timestampFromMs(m.completedAtMs) : undefined,
      duration: durationOf(m.durationMs),
      source: refText(m.source),
      hasBackup: this.#d.migrations.hasBackup(m.migrationId),
      warnings: m.warnings,
      errors: m.errors,
      metadata: m.metadata,
    });
  }

  status(level: Level | ""): MigrationStatus {
    const { counts, lastStartedAtMs } = this.#d.migrations.aggregate(level);
    const n = (k: MigrationStatusName) => BigInt(counts[k] ?? 0);
    return create(MigrationStatusSchema, {
      totalMigrations: Object.values(counts).reduce((a, b) => a + BigInt(b), 0n),
      pending: n("pending"),
      inProgress: n("in_progress"),
      completed: n("completed"),
      failed: n("failed"),
      rolledBack: n("rolled_back"),
      dryRuns: n("dry_run"),
      registeredTools: BigInt(this.#d.tools.count(level || undefined)),
      lastMigrationAt: lastStartedAtMs === null ? undefined : timestampFromMs(lastStartedAtMs),
    });
  }
}

