// migrate TOOL|DIR, validate TOOL, rollback TOOL, migrations list, migrations status.
// A directory (a path ending in "/", ".", or --dir) goes through MigrateDirectory, a server
// stream, with a progress bar on a terminal and one line per tool otherwise.
import { createInterface } from "node:readline/promises";
import { toJson } from "@bufbuild/protobuf";
import { Option, type Command } from "commander";
import {
  MigrationInfoSchema,
  MigrationResultSchema,
  MigrationState,
  MigrationStatusSchema,
  RollbackAction,
  RollbackResultSchema,
  SecurityLevel,
  Severity,
  ValidationResultSchema,
  ValidationStatus,
  type MigrationInfo,
  type MigrationResult,
} from "../../../clients/ts/src/index.ts";
import { action, optionsOf, withClient } from "../action.ts";

/**
 * The waits of the migration calls, for the message when one passes unanswered: MigrateTool and
 * ValidateMigration run tool code and get the client's execution deadline (120 s), a directory an hour.
 */
const MIGRATION_WAIT = { executionTimeoutMs: 120_000, waitSetBy: "a migration's deadline" };
const DIRECTORY_WAIT = { waitSetBy: "a directory migration's deadline", waitMs: 3_600_000 };
import { holdForLiveView, userStop } from "../signals.ts";
import { CliError, EXIT } from "../exit.ts";
import { count, enumName, err, fmtDuration, fmtTime, json, out, pairs, printable, table } from "../output.ts";
import { progressBar } from "../progress.ts";

const LEVELS = { safe: SecurityLevel.SAFE, production: SecurityLevel.PRODUCTION, development: SecurityLevel.DEVELOPMENT } as const;
type LevelName = keyof typeof LEVELS;
const levelOption = () => new Option("--level <level>", "security level of the migrated tool").choices(Object.keys(LEVELS));

/** Completed, or a dry run that found nothing that would stop the migration. */
const ok = (r: MigrationResult) =>
  r.status === MigrationState.COMPLETED ||
  (r.status === MigrationState.DRY_RUN && r.errors.length === 0 && !r.validationResults.some((v) => v.status === ValidationStatus.FAILED));
const isDirectory = (target: string, dir?: boolean) => Boolean(dir) || target === "." || target.endsWith("/");

/** --metadata KEY=VALUE, repeatable; the value may hold "=" too. A key given twice is a usage error, not a silent overwrite. */
function collectMetadata(kv: string, acc: Record<string, string> = {}): Record<string, string> {
  const i = kv.indexOf("=");
  if (i <= 0) throw new CliError(`--metadata expects KEY=VALUE, got ${JSON.stringify(kv)}`);
  const key = kv.slice(0, i);
  if (Object.hasOwn(acc, key)) throw new CliError(`--metadata ${key} given twice`);
  return { ...acc, [key]: kv.slice(i + 1) };
}

/** The NOTES column's width: the table stays one line a tool; errors are printed in full below it (resultErrors). */
const NOTES_WIDTH = 80;

function resultRows(results: MigrationResult[]): string {
  const clip = (text: string) => (text.length > NOTES_WIDTH ? `${text.slice(0, NOTES_WIDTH - 1)}…` : text);
  return table(
    ["TOOL", "STATUS", "NEW TOOL ID", "DURATION", "NOTES"],
    results.map((r) => [r.toolName, enumName(MigrationState, r.status), r.newToolId ?? "-", fmtDuration(r.duration), clip([...r.errors, ...r.warnings].join("; "))]),
  );
}

/**
 * Each error in full, and the suggestion of each error-level issue (a CommonJS form to rewrite, the
 * smoke_run_arguments to pass), which the table has no room for. `named`: prefixed with the tool's
 * name, for a run of many.
 */
function resultErrors(results: MigrationResult[], named: boolean): void {
  for (const r of results) {
    const who = named ? `${r.toolName}: ` : "";
    for (const e of r.errors) err(`${who}error: ${e}`);
    const hints = new Set(r.validationResults.flatMap((v) => v.issues.filter((i) => i.severity === Severity.ERROR && i.suggestion).map((i) => `${i.check}: ${i.suggestion}`)));
    for (const h of hints) err(`${who}hint: ${h}`);
  }
}

/**
 * Asks on the terminal. Ctrl-C there is an interruption (130), not an internal error; Ctrl-D or
 * the end of input (no answer) is the default answer, no, as an empty line is: it was taken for
 * Ctrl-C, as readline ends the question alike for both.
 */
export async function confirm(question: string, io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = { input: process.stdin, output: process.stderr }): Promise<boolean> {
  const rl = createInterface(io);
  try {
    const answer = await new Promise<string | undefined>((resolve, reject) => {
      rl.once("SIGINT", () => reject(new CliError("interrupted", EXIT.INTERRUPTED)));
      rl.once("close", () => resolve(undefined)); // input that ends pending no answer at all
      rl.question(`${question} [y/N] `).then(resolve, (e: Error) => (e.name === "AbortError" ? resolve(undefined) : reject(e)));
    });
    if (answer === undefined) io.output.write("\n"); // end the prompt's line, as Enter would have
    return /^y(es)?$/i.test((answer ?? "").trim());
  } finally {
    rl.close();
  }
}

export function migrationCommands(program: Command): void {
  program
    .command("migrate")
    .description("migrate a legacy tool, or every tool of a directory (a path ending in / or --dir) with progress")
    .argument("<tool-or-dir>", "tool name, or a directory inside the server's legacy tools root")
    .option("--dry-run", "convert and validate, change nothing")
    .option("--force", "replace an existing migrated tool (backed up, so rollback restores it, unless --no-backup)")
    // The product's rule: a migration backs up the original and any tool it replaces. The API's
    // backup_original defaults to off, so the CLI asks for it unless told not to.
    .option("--backup", "back up the original source and any tool this replaces, so rollback can undo it (the default)")
    .option("--no-backup", "keep no backup: a migration that replaces a tool then cannot be rolled back")
    .option("--preserve-id", "register under the legacy tool's own id (its exported id, else its name) instead of a new one")
    .option("--metadata <key=value>", "metadata recorded with the migration and the tool; repeat for more", collectMetadata)
    .addOption(levelOption())
    .option("--dir", "treat the argument as a directory")
    .option("-r, --recursive", "with a directory: also the tools of its subdirectories")
    .action(
      action(async (target: string, _o: unknown, cmd: Command) => {
        const o = optionsOf<{
          dryRun?: boolean;
          force?: boolean;
          backup?: boolean;
          preserveId?: boolean;
          metadata?: Record<string, string>;
          level?: LevelName;
          dir?: boolean;
          recursive?: boolean;
        }>(cmd);
        const config = {
          dryRun: Boolean(o.dryRun),
          force: Boolean(o.force),
          backupOriginal: o.backup !== false,
          preserveToolId: Boolean(o.preserveId),
          metadata: o.metadata ?? {},
          securityLevel: o.level ? LEVELS[o.level] : SecurityLevel.UNSPECIFIED,
        };
        if (!isDirectory(target, o.dir)) {
          const r = await withClient(o, (c) => c.migrate(target, config), MIGRATION_WAIT);
          if (o.json) out(json(toJson(MigrationResultSchema, r)));
          else {
            out(resultRows([r]));
            resultErrors([r], false);
          }
          return ok(r) ? EXIT.OK : EXIT.FAILED;
        }
        const directory = target === "." || target === "./" ? "" : target.replace(/\/+$/, "");
        const results: MigrationResult[] = [];
        const tty = Boolean(process.stderr.isTTY) && !o.json;
        const bar = tty ? progressBar(process.stderr) : undefined;
        // Ctrl-C stops the run (a second one leaves at once), then says what was done: the tools
        // migrated so far stay registered, and nothing was printed about them. (A reader that
        // leaves, `| head`, does not stop it: the run goes on quietly, as before.)
        const release = holdForLiveView();
        let total = 0;
        try {
          await withClient(o, async (c) => {
            for await (const msg of c.migrations.migrateDirectory({ directory, config, recursive: Boolean(o.recursive) }, { timeoutMs: 3_600_000, signal: userStop })) {
              total = msg.total;
              if (msg.result) results.push(msg.result);
              const tool = msg.result?.toolName ?? "";
              if (bar) bar.update(msg.done, msg.total, tool);
              else if (o.json) out(json(toJson(MigrationResultSchema, msg.result ?? ({} as MigrationResult)), false));
              else if (msg.result) err(`[${msg.done}/${msg.total}] ${tool} ${enumName(MigrationState, msg.result.status)}`);
            }
          }, DIRECTORY_WAIT);
        } catch (e) {
          if (!userStop.aborted) throw e;
        } finally {
          bar?.stop();
          release();
        }
        const failed = results.filter((r) => !ok(r)).length;
        if (!o.json) {
          if (results.length > 0) out(resultRows(results));
          resultErrors(results, true);
          out(`${count(results.length, "tool")}: ${results.length - failed} ok, ${failed} failed`);
        }
        if (userStop.aborted) {
          // The server may have finished one more than was shown before the stream was cut.
          const kept = config.dryRun ? "a dry run: nothing was changed" : "the tools migrated are kept (scriptengine migrations list; rollback TOOL undoes one), and the server may have finished one more";
          err(`scriptengine: interrupted after ${results.length} of ${total || "?"} tools; ${kept}`);
        }
        return failed > 0 ? EXIT.FAILED : EXIT.OK;
      }),
    );

  program
    .command("validate")
    .description("re-check a migrated tool against the engine and its original; exit 1 when it fails")
    .argument("<tool>", "tool name")
    .option("--auto-fix", "repair what can be repaired")
    .action(
      action(async (toolName: string, _o: unknown, cmd: Command) => {
        const o = optionsOf<{ autoFix?: boolean }>(cmd);
        const r = (await withClient(o, (c) => c.migrations.validateMigration({ toolName, autoFix: Boolean(o.autoFix) }), MIGRATION_WAIT)).result!;
        if (o.json) out(json(toJson(ValidationResultSchema, r)));
        else {
          out(printable(`${r.toolName}: ${enumName(ValidationStatus, r.status)}`));
          if (r.checks.length > 0) out(table(["CHECK", "STATUS", "DURATION", "MESSAGE"], r.checks.map((c) => [c.name, enumName(ValidationStatus, c.status), fmtDuration(c.duration), c.message])));
          if (r.issues.length > 0) out(table(["SEVERITY", "CHECK", "FIXABLE", "MESSAGE"], r.issues.map((i) => [enumName(Severity, i.severity), i.check, i.fixable ? "yes" : "no", i.message])));
          const fix = r.autoFixResults;
          if (fix) out(printable(`auto-fix: ${fix.success ? "ok" : "incomplete"}; applied ${fix.applied.join(", ") || "nothing"}; unresolved ${fix.unresolved.length}`));
        }
        return r.status === ValidationStatus.FAILED ? EXIT.FAILED : EXIT.OK;
      }),
    );

  program
    .command("rollback")
    .description("restore the state from before a tool's migration (asks unless --yes)")
    .argument("<tool>", "tool name")
    .option("-y, --yes", "do not ask")
    .option("--migration <id>", "a specific migration (default: the latest)")
    .option("--reason <text>", "recorded with the rollback")
    .action(
      action(async (toolName: string, _o: unknown, cmd: Command) => {
        const o = optionsOf<{ yes?: boolean; migration?: string; reason?: string }>(cmd);
        if (!o.yes) {
          if (!process.stdin.isTTY) throw new CliError("rollback changes the registry: pass --yes (no terminal to ask)");
          if (!(await confirm(`Roll back ${toolName}?`))) {
            err("not rolled back");
            return EXIT.FAILED;
          }
        }
        const r = await withClient(o, (c) => c.rollback(toolName, { migrationId: o.migration ?? "", reason: o.reason ?? "" }));
        if (o.json) out(json(toJson(RollbackResultSchema, r)));
        else {
          out(
            pairs([
              ["tool", r.toolName],
              ["result", `${r.success ? "ok" : "failed"}: ${enumName(RollbackAction, r.action)}`],
              ["migration", r.migrationId || "-"],
              ["restored", r.restoredToolId ? `${r.restoredToolId} ${r.restoredVersion}` : "-"],
            ]),
          );
          for (const m of r.messages) err(m);
        }
        return r.success ? EXIT.OK : EXIT.FAILED;
      }),
    );

  const migrations = program.command("migrations").description("migration history");
  migrations
    .command("list")
    .description("migrations, newest first as the server orders them")
    .option("--status <state...>", `only these states (${Object.values(MigrationState).filter((v) => typeof v === "string" && v !== "UNSPECIFIED").join(", ").toLowerCase()})`)
    .option("--tool <name>", "only this tool")
    .option("--limit <n>", "at most this many (default 100)", (v) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliError(`--limit expects a positive number, got ${v}`);
      return Number(v);
    })
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const o = optionsOf<{ status?: string[]; tool?: string; limit?: number }>(cmd);
        const statuses = (o.status ?? []).map((s) => {
          const v = MigrationState[s.toUpperCase().replace(/-/g, "_") as keyof typeof MigrationState];
          if (typeof v !== "number" || v === 0) throw new CliError(`--status: unknown state ${s}`);
          return v;
        });
        const limit = o.limit ?? 100;
        const all: MigrationInfo[] = [];
        await withClient(o, async (c) => {
          let pageToken = "";
          do {
            const res = await c.migrations.listMigrations({ filter: { statuses, toolName: o.tool ?? "" }, pageSize: Math.min(1000, limit - all.length), pageToken });
            all.push(...res.migrations);
            pageToken = res.nextPageToken;
          } while (pageToken && all.length < limit);
        });
        if (o.json) {
          out(json(all.map((m) => toJson(MigrationInfoSchema, m))));
          return;
        }
        if (all.length === 0) {
          out("no migrations");
          return;
        }
        out(
          table(
            ["MIGRATION", "TOOL", "STATUS", "LEVEL", "STARTED", "DURATION", "BACKUP"],
            all.map((m) => [m.migrationId, m.toolName, enumName(MigrationState, m.status), enumName(SecurityLevel, m.securityLevel), fmtTime(m.startedAt), fmtDuration(m.duration), m.hasBackup ? "yes" : "no"]),
          ),
        );
      }),
    );
  migrations
    .command("status")
    .description("counts by state")
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const o = optionsOf(cmd);
        const s = (await withClient(o, (c) => c.migrations.getMigrationStatus({}))).status!;
        if (o.json) {
          out(json(toJson(MigrationStatusSchema, s)));
          return;
        }
        out(
          pairs([
            ["total", String(s.totalMigrations)],
            ["completed", String(s.completed)],
            ["failed", String(s.failed)],
            ["in progress", String(s.inProgress)],
            ["pending", String(s.pending)],
            ["rolled back", String(s.rolledBack)],
            ["dry runs", String(s.dryRuns)],
            ["registered tools", String(s.registeredTools)],
            ["last migration", fmtTime(s.lastMigrationAt)],
          ]),
        );
      }),
    );
}
