// A data directory whose database was lost (emptied, deleted, or cut off from its -wal) while its
// event-sequences file was kept: the server started HEALTHY on a new, empty store, so every script,
// tool and registration acknowledged before was NOT_FOUND. It now refuses to start, with one line.
import { describe, expect, it } from "vitest";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, truncateSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";

/** A data directory holding one stored script, left by a clean stop or by SIGKILL (its data then only in the -wal). */
async function used(how: "stop" | "kill"): Promise<string> {
  const s = await startServer({ dataDir: mkdtempSync(join(tmpdir(), "se-lost-")) });
  await clientFor(ScriptService, "grpc-js", s).compileScript({ source: "1 + 1", context: { scriptId: "kept" } });
  if (how === "stop") expect(await s.stop()).toBe(0);
  else await s.stop("SIGKILL");
  return s.dataDir;
}

/** The start is refused with one line; one that serves instead is stopped and fails the test. */
async function refused(dir: string): Promise<void> {
  const started = await startServer({ dataDir: dir }).then((s) => s, (e: Error) => e);
  if (!(started instanceof Error)) {
    await started.stop();
    expect.fail("the server started on a new, empty store");
  }
  expect(started.message).toMatch(/exited with 1 /);
  const lines = started.message.split("\n").filter((l) => l.startsWith("scriptengine:"));
  expect(lines).toEqual([expect.stringMatching(new RegExp(`^scriptengine: cannot use ${dir} \\(server\\.data_dir\\): scriptengine\\.db holds no tables, but event-sequences shows an earlier run stored data here .*restore both from a backup`))]);
}

describe("a data directory whose database was lost", () => {
  it("emptied: refused, and refused again (the refused start made nothing); emptied directory: starts", async () => {
    const dir = await used("stop");
    truncateSync(join(dir, "scriptengine.db"), 0);
    await refused(dir);
    await refused(dir);
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    const fresh = await startServer({ dataDir: dir });
    expect(await fresh.stop()).toBe(0);
  });

  it("deleted with its -wal after a kill: refused", async () => {
    const dir = await used("kill");
    rmSync(join(dir, "scriptengine.db"));
    rmSync(join(dir, "scriptengine.db-wal"), { force: true });
    await refused(dir);
  });

  it("its -wal header garbled after a kill (SQLite drops the whole WAL): refused", async () => {
    const dir = await used("kill");
    const fd = openSync(join(dir, "scriptengine.db-wal"), "r+");
    writeSync(fd, Buffer.alloc(32, 0xa5), 0, 32, 0);
    closeSync(fd);
    await refused(dir);
  });

  it.each(["stop", "kill"] as const)("kept: the script is still there after a %s", async (how) => {
    const s = await startServer({ dataDir: await used(how) });
    expect((await clientFor(ScriptService, "grpc-js", s).getScript({ scriptId: "kept" })).script?.script?.version).toBe(1);
    expect(await s.stop()).toBe(0);
  });
});
