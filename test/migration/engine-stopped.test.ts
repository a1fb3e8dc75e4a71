// A Stop while a migration runs tool code in the engine: the engine stopping is no fault of the
// tool, so the call (or MigrateDirectory's stream) ends with a retryable UNAVAILABLE ENGINE_STOPPED,
// no FAILED migration is recorded, and nothing says the tool "does not compile". Its
// MigrationStarted still gets an end: a MigrationCompleted with success false saying it did not
// finish and nothing changed.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { MigrationState, type MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { failure } from "../helpers/errors.ts";
import { settle, untilMetrics } from "../helpers/until.ts";
import { config, legacyServer } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Still holding the worker when the Stop comes however slow the machine, and done within the 5 s grace.
const BUSY = "export default () => { const t = Date.now(); while (Date.now() - t < 3500); return 1; }";

const c = legacyServer({
  // One worker, held by a script while the migration's engine work waits behind it.
  args: ["--set", "pool.workers=1", "--set", "server.shutdown_grace=5s"],
  cleanExit: false,
  prepare: (root) => {
    // Tools that migrate cleanly: any failure here is the engine's.
    mkdirSync(join(root, "good"));
    for (const f of ["text-search.js", "json-transform.mjs"]) copyFileSync(join(root, f), join(root, "good", f));
  },
});
beforeAll(async () => {
  await c.scripts.runScript({ source: "1" });
});

/** Runs `migration` while the worker is busy and a Stop comes in; the engine is started again after. */
async function againstStop<T>(migration: () => Promise<T>): Promise<T> {
  const busy = c.scripts.runScript({ source: BUSY });
  let running: Promise<T> | undefined;
  try {
    const { totalCompilations } = await untilMetrics(c.scripts, "the busy script holds the worker", (m) => m.busyIsolates === 1n);
    running = migration();
    // The migration's engine work (a compilation, or an execution once its code is cached) waits behind it.
    await untilMetrics(c.scripts, "the migration's engine work waits", (m) => m.totalCompilations > totalCompilations || m.queueLength > 0n);
    await c.scripts.stop({ reason: "maintenance" });
    await busy;
    return await running;
  } finally {
    await settle([busy, ...(running ? [running] : [])]);
    await c.scripts.start({});
  }
}

const noFailedRecord = async () => {
  const { migrations } = await c.migration.listMigrations({ pageSize: 50 });
  expect(migrations.filter((m) => m.status === MigrationState.FAILED || m.status === MigrationState.IN_PROGRESS)).toEqual([]);
  const { status } = await c.migration.getMigrationStatus({});
  expect([status?.failed, status?.inProgress]).toEqual([0n, 0n]);
};

/** The migration events published from now on, until `stop()`. */
async function migrationEvents() {
  const ac = new AbortController();
  const seen: ServiceEvent["event"][] = [];
  const stream = c.events.subscribe({ eventTypes: ["migration_started", "migration_completed"] }, { signal: ac.signal })[Symbol.asyncIterator]();
  await stream.next(); // subscribed
  const reading = (async () => {
    for (;;) {
      const { value, done } = await stream.next();
      if (done) return;
      if (value.message.case === "event") seen.push(value.message.value.event);
    }
  })().catch(() => {});
  return {
    seen,
    async until(pred: () => boolean, timeoutMs = 5000) {
      for (const end = Date.now() + timeoutMs; !pred() && Date.now() < end; ) await sleep(20);
    },
    stop: () => ac.abort(),
  };
}

it("MigrateTool: UNAVAILABLE ENGINE_STOPPED, no FAILED record, and its MigrationCompleted says it did not finish", async () => {
  const events = await migrationEvents();
  try {
    const f = await againstStop(() => failure(c.migration.migrateTool({ toolName: "text_search", config: config() })));
    expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
    expect(f.err.findDetails(RetryInfoSchema)).toHaveLength(1);
    await noFailedRecord();

    await events.until(() => events.seen.some((e) => e.case === "migrationCompleted"));
    const started = events.seen.filter((e) => e.case === "migrationStarted");
    const completed = events.seen.filter((e) => e.case === "migrationCompleted");
    expect(started.map((e) => e.value.toolName)).toEqual(["text_search"]);
    expect(completed).toHaveLength(1);
    const done = completed[0]!.value;
    expect(done).toMatchObject({ toolName: "text_search", migrationId: started[0]!.value.migrationId, success: false });
    expect(done.result?.status).toBe(MigrationState.FAILED);
    expect(done.result?.errors.at(-1)).toMatch(/^the migration did not finish, nothing was changed: /);
    // The record is gone: no listing knows the id the events named.
    const { migrations } = await c.migration.listMigrations({ pageSize: 50 });
    expect(migrations.map((m) => m.migrationId)).not.toContain(done.migrationId);
  } finally {
    events.stop();
  }
});

it.each([false, true])("MigrateDirectory (dry run: %s): the stream ends with UNAVAILABLE ENGINE_STOPPED, no tool is FAILED", async (dryRun) => {
  const results: MigrationResult[] = [];
  const f = await againstStop(() =>
    failure(
      (async () => {
        for await (const step of c.migration.migrateDirectory({ directory: "good", config: config({ dryRun }) })) results.push(step.result!);
      })(),
    ),
  );
  expect([f.code, f.reason]).toEqual(["Unavailable", "ENGINE_STOPPED"]);
  expect(f.err.findDetails(RetryInfoSchema)).toHaveLength(1);
  expect(results.filter((r) => r.status === MigrationState.FAILED || r.errors.length > 0)).toEqual([]);
  expect(JSON.stringify(results.map((r) => r.validationResults))).not.toMatch(/does not compile/);
  await noFailedRecord();
});
