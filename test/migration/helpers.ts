// Shared setup of the migration tests: a real server over a private copy of the example legacy tools.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { ToolService } from "../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { MigrationConfigSchema, MigrationState, type MigrationConfig, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ROOT, startServer, type StartOptions, type TestServer } from "../helpers/server.ts";
import { clientFor, type Protocol } from "../helpers/clients.ts";
import { until } from "../helpers/until.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";

export { SecurityLevel };

/** A fresh copy of examples/legacy-tools the test may change. */
export function legacyCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "scriptengine-legacy-"));
  cpSync(join(ROOT, "examples/legacy-tools"), dir, { recursive: true });
  return dir;
}

export async function startWithLegacy(root: string, options: StartOptions = {}): Promise<TestServer> {
  return startServer({ ...options, args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=2", ...(options.args ?? [])] });
}

export const clients = (server: { grpc: string; http: string }, protocol: Protocol = "grpc-js") => ({
  migration: clientFor(MigrationService, protocol, server),
  tools: clientFor(ToolService, protocol, server),
  scripts: clientFor(ScriptService, protocol, server),
  events: clientFor(EventService, protocol, server),
});

export interface LegacyServerOptions extends StartOptions {
  /** Adds to the legacy copy before the server starts. */
  prepare?: (root: string) => void;
  /** Whether the stop after the tests must exit 0 (default true). */
  cleanExit?: boolean;
  /** The start's time limit in ms, where the default hook timeout is too short. */
  timeout?: number;
}

/** A file's server over its legacy copy, with its clients; set once the file's tests run. */
export type LegacyServer = ReturnType<typeof clients> & {
  server: TestServer;
  root: string;
  /** Writes `text` as `file` into the legacy copy and migrates that file with the default config. */
  migrateFile: (file: string, text: string) => Promise<MigrationResult>;
};

/**
 * Starts a server over a fresh legacy copy before the calling file's tests and stops it after them.
 * Call it at the top level of a test file.
 */
export function legacyServer(options: LegacyServerOptions = {}): LegacyServer {
  const { prepare, cleanExit = true, timeout, ...start } = options;
  const s = {
    migrateFile: async (file: string, text: string) => {
      writeFileSync(join(s.root, file), text);
      return (await s.migration.migrateTool({ config: config({ file }) })).result!;
    },
  } as LegacyServer;
  beforeAll(async () => {
    s.root = legacyCopy();
    prepare?.(s.root);
    s.server = await startWithLegacy(s.root, start);
    Object.assign(s, clients(s.server));
  }, timeout);
  afterAll(async () => {
    const code = await s.server.stop();
    if (cleanExit) expect(code).toBe(0);
  });
  return s;
}

export interface ConfigInput {
  level?: SecurityLevel;
  force?: boolean;
  preserveToolId?: boolean;
  backupOriginal?: boolean;
  dryRun?: boolean;
  metadata?: Record<string, string>;
  file?: string;
  manifest?: string;
  checks?: string[];
  skipChecks?: string[];
  strict?: boolean;
  smokeArgs?: JsonObject;
  smokeTimeoutMs?: number;
}

/** A MigrationConfig; backups are on unless turned off. */
export function config(c: ConfigInput = {}): MigrationConfig {
  return create(MigrationConfigSchema, {
    securityLevel: c.level ?? SecurityLevel.SAFE,
    force: c.force ?? false,
    preserveToolId: c.preserveToolId ?? false,
    backupOriginal: c.backupOriginal ?? true,
    dryRun: c.dryRun ?? false,
    metadata: c.metadata ?? {},
    source: c.file ? { source: { case: "filePath", value: c.file } } : c.manifest ? { source: { case: "manifestPath", value: c.manifest } } : undefined,
    validation: {
      checks: c.checks ?? [],
      skipChecks: c.skipChecks ?? [],
      strict: c.strict ?? false,
      smokeRunArguments: c.smokeArgs,
      smokeRunTimeout: c.smokeTimeoutMs ? durationFromMs(c.smokeTimeoutMs) : undefined,
    },
  });
}

/** The named check of a result's first validation. */
export function check(result: { validationResults: { checks: { name: string; status: number; message: string }[] }[] } | undefined, name: string) {
  const c = result?.validationResults[0]?.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}`);
  return c;
}

/** Waits until `pred` holds for the server's logs. */
export async function waitForLog(server: TestServer, pred: (logs: string) => boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred(server.logs())) {
    if (Date.now() > until) throw new Error(`log condition not met; logs:\n${server.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { principalsToml, tokenOf };

/** The headers a call of that principal carries. */
export const bearer = (name: string) => ({ authorization: `Bearer ${tokenOf(name)}` });

/**
 * A server with one worker whose legacy root holds only `sources` (`<name>.js` each), every one
 * migrated (smoke run skipped) before the calling file's tests: registered tools for its scripts.
 * Its clients are set once the tests run. Call it at the top level of a test file.
 */
export function migratedTools(sources: Record<string, string>): { c: ReturnType<typeof clients> } {
  const root = mkdtempSync(join(tmpdir(), "se-tools-"));
  const s = {} as { c: ReturnType<typeof clients> };
  let server: TestServer | undefined;
  beforeAll(async () => {
    for (const [name, source] of Object.entries(sources)) writeFileSync(join(root, `${name}.js`), source);
    server = await startServer({ args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
    s.c = clients(server);
    for (const name of Object.keys(sources)) {
      const r = await s.c.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) });
      expect([name, r.result?.status]).toEqual([name, MigrationState.COMPLETED]);
    }
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return s;
}

/**
 * Writes a legacy tool `<name>.js` into `root`: its call runs `body` (async, with `args`), its
 * input schema is `inputSchema`.
 */
export function writeTool(root: string, name: string, body: string, inputSchema: object = { type: "object" }): void {
  writeFileSync(
    join(root, `${name}.js`),
    `export const name = "${name}";\nexport const description = "d";\nexport const version = "1";\n` +
      `export const inputSchema = ${JSON.stringify(inputSchema)};\nexport async function call(args) { ${body} }\n`,
  );
}

/**
 * Subscribes to `eventTypes` and collects the events that arrive into `seen` until `stop()`;
 * returns once the subscription is live, so every event published from then on is seen.
 * `afterSequence` replays the retained ones first.
 */
export async function collectEvents(events: ReturnType<typeof clients>["events"], eventTypes: string[], afterSequence?: bigint) {
  const ac = new AbortController();
  const seen: ServiceEvent["event"][] = [];
  const stream = events.subscribe({ eventTypes, afterSequence }, { signal: ac.signal })[Symbol.asyncIterator]();
  await stream.next(); // SubscriptionStarted, always first
  void (async () => {
    for (;;) {
      const { value, done } = await stream.next();
      if (done) return;
      if (value.message.case === "event") seen.push(value.message.value.event);
    }
  })().catch(() => {});
  return { seen, stop: () => ac.abort() };
}

/**
 * A server over `root` killed (SIGKILL) in the middle of a migration: it starts migrating `slow`
 * (a tool whose smoke run takes seconds) and is killed once the migration is IN_PROGRESS. Its data
 * directory, to restart on, and the migration's id.
 */
export async function killMidMigration(root: string): Promise<{ dataDir: string; migrationId: string }> {
  writeTool(root, "slow", "await new Promise((r) => setTimeout(r, 8000)); return 1;");
  const server = await startWithLegacy(root);
  const c = clients(server);
  const pending = c.migration.migrateTool({ toolName: "slow", config: config({ smokeTimeoutMs: 20_000 }) }).catch((e) => e);
  const migrationId = await until("the migration is in progress", async () => (await c.migration.listMigrations({ filter: { statuses: [MigrationState.IN_PROGRESS] } })).migrations[0]?.migrationId);
  await server.stop("SIGKILL");
  await pending;
  return { dataDir: server.dataDir, migrationId };
}
