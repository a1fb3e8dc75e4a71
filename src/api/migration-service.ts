// MigrationService over the migrator: requests decoded and checked here, behaviour in
// src/migration/migrator.ts. Changing anything (migrate, auto-fix, roll back) needs the "migrate"
// permission (admin implies it) and a tool level the principal may use (a forced migration also
// the level of the tool it replaces); reading does not. Calls that run tool code in the engine
// (migrate, validate) are refused while it is stopped, and end with its ENGINE_STOPPED when it
// stops under them; a rollback, which only changes the registry, is not. They stop with the call (its signal): a caller that went away leaves nothing applied.
// Validating runs the tool's code, so it needs a principal who could run code at the tool's level.
import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { requestMs, wholeMs } from "./duration.ts";
import { SCRIPT_META_LIMITS, checkMetadata } from "./script-input.ts";
import { callerSlots } from "./limits.ts";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import type { MigrationConfig, MigrationFilter, ValidationConfig } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { LEVEL_RANK, principalOf, requirePermission } from "../auth/principal.ts";
import type { Config, Level } from "../config/types.ts";
import { serviceError } from "../errors.ts";
import type { JsonObject } from "../engine/index.ts";
import { decodePageToken, encodePageToken, pageSizeOf } from "../store/database.ts";
import { checkToolName, type ValidationOptions } from "../migration/checks.ts";
import { ENGINE_METADATA_KEYS, STATE_NAME, type LevelCheck, type MigrateOptions, type Migrator } from "../migration/migrator.ts";

export const MIGRATE_PERMISSION = "migrate";
const DEFAULT_SMOKE_TIMEOUT_MS = 5000;

const LEVEL_OF: Partial<Record<SecurityLevel, Level>> = {
  [SecurityLevel.SAFE]: "safe",
  [SecurityLevel.PRODUCTION]: "production",
  [SecurityLevel.DEVELOPMENT]: "development",
};

/** A ListMigrations filter, the same however it is spelled (statuses in any order, repeated). */
function filterKey(f: MigrationFilter | undefined): unknown[] {
  const ms = (t: Timestamp | undefined) => (t ? timestampMs(t) : null);
  return [[...new Set(f?.statuses ?? [])].sort((a, b) => a - b), f?.toolName ?? "", f?.securityLevel ?? 0, ms(f?.startedAfter), ms(f?.startedBefore)];
}

export interface MigrationServiceDeps {
  config: Config;
  migrator: Migrator;
  /** Throws ENGINE_STOPPED unless the engine takes work. */
  requireServing: () => void;
}

export function validationOptions(v: ValidationConfig | undefined, field: string): ValidationOptions {
  return {
    checks: [...(v?.checks ?? [])],
    skipChecks: [...(v?.skipChecks ?? [])],
    strict: v?.strict ?? false,
    smokeArguments: v?.smokeRunArguments && Object.keys(v.smokeRunArguments).length > 0 ? (v.smokeRunArguments as JsonObject) : undefined,
    smokeTimeoutMs: v?.smokeRunTimeout ? wholeMs(requestMs(v.smokeRunTimeout, `${field}.smoke_run_timeout`)) : DEFAULT_SMOKE_TIMEOUT_MS,
  };
}

export function migrationService(deps: MigrationServiceDeps): Partial<ServiceImpl<typeof MigrationService>> {
  const { config, migrator, requireServing } = deps;

  /** Throws unless the principal may use tools at this level (its maximum). */
  function mayChangeAt(ctx: HandlerContext, verb = "change"): LevelCheck {
    const principal = principalOf(ctx);
    return (level, tool) => {
      if (LEVEL_RANK[level] > LEVEL_RANK[principal.maxSecurityLevel]) {
        throw serviceError("SECURITY_VIOLATION", `principal "${principal.name}" may not ${verb} tools at level ${level} (max ${principal.maxSecurityLevel})`, {
          metadata: { requested_level: level, max_level: principal.maxSecurityLevel, tool },
        });
      }
    };
  }

  /**
   * The options with the describe and smoke runs made the caller's: they count against its
   * concurrent executions at the run's level like its scripts. (Their wall time is the tool's
   * level's and the configuration's cap, tools/registry.ts toolLimits: the caller's maximum level
   * covers the tool's, so its own timeout would never be the shorter.)
   */
  function asCaller(ctx: HandlerContext, o: ValidationOptions): ValidationOptions {
    const principal = principalOf(ctx);
    return { ...o, caller: (level) => callerSlots(config, principal, level) };
  }

  /** The tool level: the config's (default: the server's), never above the principal's maximum. */
  /**
   * The level asked for, refused above the caller's maximum; none asked, the server default capped
   * at that maximum (as a script run's, api/limits.ts): the default is no claim of the caller's.
   */
  function levelFor(ctx: HandlerContext, requested: SecurityLevel | undefined): Level {
    if (!requested) {
      const max = principalOf(ctx).maxSecurityLevel;
      return LEVEL_RANK[config.securityLevel] > LEVEL_RANK[max] ? max : config.securityLevel;
    }
    const level = LEVEL_OF[requested];
    if (!level) throw serviceError("VALIDATION_ERROR", `config.security_level ${requested} is not a level`, { field: "config.security_level" });
    mayChangeAt(ctx)(level);
    return level;
  }

  function options(ctx: HandlerContext, c: MigrationConfig | undefined): Omit<MigrateOptions, "toolName" | "source"> {
    // Stored with the migration and the tool: bounded like a script's metadata.
    checkMetadata(c?.metadata ?? {}, "config.metadata");
    // The result's metadata holds it beside the engine's own keys, which would silently win.
    const reserved = Object.keys(c?.metadata ?? {}).find((k) => ENGINE_METADATA_KEYS.includes(k));
    if (reserved !== undefined) {
      const field = `config.metadata[${JSON.stringify(reserved)}]`;
      throw serviceError("VALIDATION_ERROR", `${field}: the key is reserved for the engine's own metadata (${ENGINE_METADATA_KEYS.join(", ")})`, { field });
    }
    return {
      level: levelFor(ctx, c?.securityLevel),
      force: c?.force ?? false,
      preserveToolId: c?.preserveToolId ?? false,
      backupOriginal: c?.backupOriginal ?? false,
      dryRun: c?.dryRun ?? false,
      validation: asCaller(ctx, validationOptions(c?.validation, "config.validation")),
      metadata: { ...c?.metadata },
    };
  }

  return {
    async migrateTool(req, ctx) {
      requirePermission(ctx, MIGRATE_PERMISSION);
      requireServing();
      const s = req.config?.source?.source;
      const source = s?.case === "filePath" ? { filePath: s.value } : s?.case === "manifestPath" ? { manifestPath: s.value } : undefined;
      if (!req.toolName && !source) throw serviceError("VALIDATION_ERROR", "tool_name or config.source is required", { field: "tool_name" });
      if (req.toolName) checkToolName(req.toolName, "tool_name");
      return { result: await migrator.migrate({ ...options(ctx, req.config), toolName: req.toolName, source }, { signal: ctx.signal, mayReplace: mayChangeAt(ctx, "replace") }) };
    },

    async *migrateDirectory(req, ctx) {
      requirePermission(ctx, MIGRATE_PERMISSION);
      requireServing();
      // Asked again before each tool: a Stop or shutdown mid-run ends the stream with UNAVAILABLE.
      for await (const step of migrator.migrateDirectory(req.directory, options(ctx, req.config), req.recursive, requireServing, ctx.signal, mayChangeAt(ctx, "replace"))) {
        if (ctx.signal.aborted) return;
        yield step;
      }
    },

    async validateMigration(req, ctx) {
      if (!req.toolName) throw serviceError("VALIDATION_ERROR", "tool_name is required", { field: "tool_name" });
      checkToolName(req.toolName, "tool_name");
      if (req.autoFix) requirePermission(ctx, MIGRATE_PERMISSION);
      requireServing();
      const options = asCaller(ctx, validationOptions(req.validation, "validation"));
      return {
        result: await migrator.validate(req.toolName, options, { mayRun: mayChangeAt(ctx, "run"), mayChange: req.autoFix ? mayChangeAt(ctx) : undefined, signal: ctx.signal }),
      };
    },

    async rollbackTool(req, ctx) {
      requirePermission(ctx, MIGRATE_PERMISSION);
      if (req.toolName) checkToolName(req.toolName, "tool_name");
      // Stored with the migration, logged and echoed: bounded like a metadata value.
      const max = SCRIPT_META_LIMITS.valueMaxLength;
      if ((req.config?.reason.length ?? 0) > max) throw serviceError("VALIDATION_ERROR", `config.reason must be at most ${max} characters`, { field: "config.reason" });
      return { result: await migrator.rollback(req.toolName, req.config?.migrationId ?? "", req.config?.reason ?? "", mayChangeAt(ctx)) };
    },

    listMigrations(req) {
      const f = req.filter;
      // The token is bound to its filter, as ListTools' is to its tag: the same position under
      // another filter would skip that filter's newer migrations without a word.
      const filter = filterKey(f);
      const token = req.pageToken ? decodePageToken<{ seq: number; filter?: unknown }>(req.pageToken) : { seq: 0, filter };
      if (!token || typeof token.seq !== "number") throw serviceError("VALIDATION_ERROR", "page_token is not valid", { field: "page_token" });
      // A token without a filter is an older server's: it recorded none.
      if (token.filter !== undefined && JSON.stringify(token.filter) !== JSON.stringify(filter)) {
        throw serviceError("VALIDATION_ERROR", "page_token was issued for another filter: list again from the first page", { field: "page_token" });
      }
      const level = f?.securityLevel ? LEVEL_OF[f.securityLevel] : undefined;
      if (f?.securityLevel && !level) throw serviceError("VALIDATION_ERROR", "filter.security_level is not a level", { field: "filter.security_level" });
      // A status that names no state would otherwise drop out of the filter and widen it to all.
      const unknown = (f?.statuses ?? []).find((st) => !Object.hasOwn(STATE_NAME, st));
      if (unknown !== undefined) throw serviceError("VALIDATION_ERROR", `filter.statuses: ${unknown} is not a migration state`, { field: "filter.statuses" });
      if (f?.toolName) checkToolName(f.toolName, "filter.tool_name");
      const limit = pageSizeOf(req.pageSize);
      const page = migrator.list({
        statuses: [...(f?.statuses ?? [])],
        toolName: f?.toolName ?? "",
        level: level ?? "",
        startedAfterMs: f?.startedAfter ? timestampMs(f.startedAfter) : undefined,
        startedBeforeMs: f?.startedBefore ? timestampMs(f.startedBefore) : undefined,
        beforeSeq: token.seq,
        limit,
      });
      return { migrations: page.items, nextPageToken: page.more ? encodePageToken({ seq: page.lastSeq, filter }) : "" };
    },

    getMigrationStatus(req) {
      const level = req.securityLevel ? LEVEL_OF[req.securityLevel] : undefined;
      if (req.securityLevel && !level) throw serviceError("VALIDATION_ERROR", "security_level is not a level", { field: "security_level" });
      return { status: migrator.status(level ?? "") };
    },
  };
}
