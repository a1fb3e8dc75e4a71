// Wiring of the tool registry and the migration service, for the composition root.
import type { DatabaseSync } from "node:sqlite";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import type { Config } from "../config/types.ts";
import type { Engine } from "../engine/index.ts";
import type { Logger } from "../log.ts";
import { ToolRepository } from "../store/tools.ts";
import { MigrationRepository } from "../store/migrations.ts";
import { SchemaValidator, ToolRegistry } from "../tools/registry.ts";
import { migrationService } from "../api/migration-service.ts";
import { toolService } from "../api/tool-service.ts";
import { Migrator } from "./migrator.ts";

/** Test only: hold migration/rollback transactions open this long (ms), so a test can kill the process inside one. */
export const TEST_COMMIT_DELAY_ENV = "SE_TEST_MIGRATION_COMMIT_DELAY_MS";

export function createTools(input: {
  config: Config;
  db: DatabaseSync;
  engine: Engine;
  publish: (e: ServiceEvent) => void;
  log: Logger;
  /** Throws ENGINE_STOPPED unless the engine takes work (for calls that run tool code). */
  requireServing: () => void;
}) {
  const tools = new ToolRepository(input.db);
  const migrations = new MigrationRepository(input.db);
  const schemas = new SchemaValidator();
  const registry = new ToolRegistry({ config: input.config, engine: input.engine, tools, schemas });
  const delay = Number(process.env[TEST_COMMIT_DELAY_ENV] ?? 0);
  const migrator = new Migrator({
    ...input,
    tools,
    migrations,
    registry,
    schemas,
    log: input.log.child({ component: "migration" }),
    testCommitDelayMs: Number.isFinite(delay) && delay > 0 ? delay : 0,
  });
  migrator.recover();
  // Before the server serves: no call of a registered tool compiles its schemas on the event loop.
  const { failed, ...compiled } = registry.compileSchemas();
  input.log.info("tool schemas compiled", { ...compiled, failed: failed.length });
  for (const f of failed) input.log.warn("a registered tool's schema does not compile: its calls fail until it is migrated again", f);
  return {
    /** For ScriptService: `ctx.tools.<name>(args)` of registered tools. */
    scriptTools: { describe: registry.describe, run: registry.run },
    migrationService: migrationService({ config: input.config, migrator, requireServing: input.requireServing }),
    toolService: toolService({ tools }),
    migrator,
    /** Registered tools whose source is over max_source_size (lowered since), for the start's warning. */
    toolsOverSourceLimit: tools.countSourcesOver(input.config.maxSourceSize),
  };
}
