// A damaged database file: found while opening, the server stops with one line naming
// server.data_dir (it printed a stack); found by a call, the call is DATA_LOSS (it was INTERNAL)
// and health says UNHEALTHY (it said SERVING). A full disk makes the store component DEGRADED.
import { describe, expect, it } from "vitest";
import { cpSync, mkdtempSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ConnectError } from "@connectrpc/connect";
import { runServerExpectingExit, startServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { components } from "../../src/health/monitor.ts";
import { noteStoreFault, recentStoreFault, resetStoreFaults } from "../../src/store/faults.ts";
import { loadConfig } from "../../src/config/load.ts";

/** A stopped server's data dir with a few scripts, copied, with the root pages of one table and its indexes overwritten (or only those of `types`). */
async function damaged(table: string, types = ["table", "index"]): Promise<string> {
  const s = await startServer();
  const scripts = clientFor(ScriptService, "grpc-js", s);
  for (let i = 0; i < 3; i++) await scripts.compileScript({ source: `${i} + 1`, context: { scriptId: `k${i}` } });
  expect(await s.stop()).toBe(0);
  const dir = mkdtempSync(join(tmpdir(), "se-damaged-"));
  cpSync(s.dataDir, dir, { recursive: true });
  const file = join(dir, "scriptengine.db");
  const db = new DatabaseSync(file);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const size = (db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
  const roots = (db.prepare("SELECT type, rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0").all(table) as { type: string; rootpage: number }[])
    .filter((r) => types.includes(r.type));
  db.close();
  expect(roots.length).toBeGreaterThan(0);
  const fd = openSync(file, "r+");
  for (const { rootpage } of roots) writeSync(fd, Buffer.alloc(size, 0xa5), 0, size, (rootpage - 1) * size);
  closeSync(fd);
  return dir;
}

describe("a damaged store", () => {
  it("found while opening: exit 1 with one line naming server.data_dir, no stack", async () => {
    const dir = await damaged("scripts");
    const { code, stderr } = await runServerExpectingExit(["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dir]);
    expect(code).toBe(1);
    const lines = stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^scriptengine: cannot use ${dir} \\(server\\.data_dir\\): scriptengine\\.db: .*malformed.*restore it from a backup$`))]);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  // Their rows are reached through an index, which, intact, said there were none: the server served
  // the table as empty (ListTools only the builtins, DiscoverServices nothing) and said SERVING.
  it.each(["tools", "registry_registrations"])("a page of the %s table, found while opening: exit 1 with one line", async (table) => {
    const dir = await damaged(table, ["table"]);
    const started = await startServer({ dataDir: dir }).then((s) => s, (e: Error) => e);
    if (!(started instanceof Error)) {
      await started.stop();
      expect.fail(`the server started on a damaged ${table} table`);
    }
    const lines = started.message.split("\n").filter((l) => l.startsWith("scriptengine:"));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^scriptengine: cannot use ${dir} \\(server\\.data_dir\\): scriptengine\\.db: .*malformed.*restore it from a backup$`))]);
    expect(started.message).toMatch(/exited with 1 before listening/);
  });

  // The scripts table's indexes: the start reads every tool (their schemas are compiled before
  // HEALTHY) and registration, but no script.
  it("found by a call (an index: a damaged table is found at start): DATA_LOSS with ErrorInfo, and health UNHEALTHY naming the store", async () => {
    const dir = await damaged("scripts", ["index"]);
    const s = await startServer({ dataDir: dir });
    try {
      const err = await clientFor(ScriptService, "grpc-js", s).listScripts({}).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(15); // DATA_LOSS
      expect((err as ConnectError).findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ resource: "store" });
      const health = (await clientFor(ScriptService, "grpc-js", s).healthCheck({})).health!;
      const store = health.components.find((c) => c.name === "store");
      expect(store?.status).toBe(ServiceStatus.UNHEALTHY);
      expect(store?.message).toMatch(/damaged/);
    } finally {
      await s.stop();
    }
  });
});

describe("store faults for health", () => {
  it("a full disk makes the store component DEGRADED for a while; a damaged file UNHEALTHY", () => {
    resetStoreFaults();
    const { config } = loadConfig({ argv: [], env: {} });
    const stats = { state: "running", poolSize: 2, busyIsolates: 0, workers: 2, queueLength: 0, recentFailures: 0 } as never;
    const store = (fault?: "full" | "damaged") => components(stats, config, 0, fault).find((c) => c.name === "store")!;
    expect(store().status).toBe(ServiceStatus.HEALTHY);
    expect(noteStoreFault({ errcode: 13 }, 1000)).toBe("full");
    expect(recentStoreFault(2000)).toBe("full");
    expect(store("full")).toMatchObject({ status: ServiceStatus.DEGRADED, message: expect.stringMatching(/disk is full/) });
    expect(recentStoreFault(1000 + 61_000)).toBeUndefined();
    expect(noteStoreFault({ errcode: 11 | (1 << 8) }, 5000)).toBe("damaged"); // an extended code
    expect(store("damaged").status).toBe(ServiceStatus.UNHEALTHY);
    expect(noteStoreFault({ errcode: 5 })).toBeUndefined(); // busy: no fault of the disk or file
    resetStoreFaults();
  });
});
