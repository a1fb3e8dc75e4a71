// A migration interrupted by a crash: subscribers saw its MigrationStarted, so after the restart
// that marks it FAILED they also get its MigrationCompleted (success false), once per recovered row.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

it("the restarted server publishes a MigrationCompleted for the migration the crash cut off", async () => {
  const root = legacyCopy();
  writeFileSync(join(root, "slow.js"), `export const name = "slow";\nexport const description = "d";\nexport const inputSchema = { type: "object" };\nexport async function call() { await new Promise((r) => setTimeout(r, 8000)); return 1; }\n`);
  let server = await startWithLegacy(root);
  let c = clients(server);
  const pending = c.migration.migrateTool({ toolName: "slow", config: config({ smokeTimeoutMs: 20_000 }) }).catch((e) => e);
  let running: string | undefined;
  for (let i = 0; i < 200 && !running; i++) {
    running = (await c.migration.listMigrations({ filter: { statuses: [MigrationState.IN_PROGRESS] } })).migrations[0]?.migrationId;
    if (!running) await new Promise((r) => setTimeout(r, 25));
  }
  expect(running).toBeDefined();
  await server.stop("SIGKILL");
  await pending;

  server = await startWithLegacy(root, { dataDir: server.dataDir });
  c = clients(server);
  const ac = new AbortController();
  try {
    const seen: ServiceEvent["event"][] = [];
    const stream = c.events.subscribe({ eventTypes: ["migration_completed"], afterSequence: 0n }, { signal: ac.signal })[Symbol.asyncIterator]();
    const end = Date.now() + 5000;
    while (!seen.length && Date.now() < end) {
      const next = await Promise.race([stream.next(), new Promise<undefined>((r) => setTimeout(() => r(undefined), end - Date.now()))]);
      if (!next || next.done) break;
      if (next.value.message.case === "event") seen.push(next.value.message.value.event);
    }
    expect(seen).toHaveLength(1);
    const done = seen[0]!;
    expect(done.case).toBe("migrationCompleted");
    if (done.case !== "migrationCompleted") return;
    expect(done.value).toMatchObject({ toolName: "slow", migrationId: running, success: false });
    expect(done.value.result?.status).toBe(MigrationState.FAILED);
    expect(done.value.result?.errors.at(-1)).toContain("the server stopped while this migration was in progress");
  } finally {
    ac.abort();
    expect(await server.stop()).toBe(0);
  }
}, 60_000);
