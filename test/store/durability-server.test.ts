// The store's durability as callers see it. A source changed on disk ran as the script while
// GetScript reported the old hash: now DATA_LOSS naming it, health UNHEALTHY. A data directory
// removed under the server was not noticed (writes acknowledged into unlinked files, HEALTHY, and
// an empty store after a restart): now health is UNHEALTHY naming it and writes are refused. A
// deleted id compiled again after a restart reused its versions. A data_dir that is a file, or a
// database path that is a directory, stopped the start with mkdir's EEXIST or "unable to open".
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { runServerExpectingExit, startServer } from "../helpers/server.ts";

const failed = (p: Promise<unknown>): Promise<ConnectError> =>
  p.then(
    () => expect.fail("the call succeeded"),
    (e: unknown) => (expect(e).toBeInstanceOf(ConnectError), e as ConnectError),
  );

/** The server's exit line for `dataDir`, which must stop the start. */
async function startRefused(dataDir: string): Promise<string[]> {
  const { code, stderr } = await runServerExpectingExit(["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir]);
  expect(code).toBe(1);
  return stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
}

describe("the store under a running server", () => {
  it("a script's source changed on disk (same length, hash kept): GetScript and ExecuteScript DATA_LOSS naming it, health UNHEALTHY", async () => {
    const first = await startServer();
    await clientFor(ScriptService, "grpc-js", first).compileScript({ source: "'good'", context: { scriptId: "s" } });
    expect(await first.stop()).toBe(0);
    const db = new DatabaseSync(join(first.dataDir, "scriptengine.db"));
    expect(Number(db.prepare("UPDATE scripts SET source = ? WHERE script_id = 's'").run("'evil'").changes)).toBe(1);
    db.close();
    const s = await startServer({ dataDir: first.dataDir });
    try {
      const scripts = clientFor(ScriptService, "grpc-js", s);
      for (const call of [scripts.getScript({ scriptId: "s" }), scripts.executeScript({ scriptId: "s" }), scripts.executeScript({ scriptId: "s", version: 1 })]) {
        const e = await failed(call);
        expect(e.code).toBe(Code.DataLoss);
        expect(e.rawMessage).toMatch(/^script s version 1: its stored source is damaged/);
        expect(e.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ resource: "store", script_id: "s" });
      }
      const health = (await scripts.healthCheck({})).health!;
      expect(health.status).toBe(ServiceStatus.UNHEALTHY);
      expect(health.components.find((c) => c.name === "store")).toMatchObject({ status: ServiceStatus.UNHEALTHY, message: expect.stringMatching(/damaged/) });
    } finally {
      await s.stop();
    }
  });

  it("its data directory removed: health UNHEALTHY naming it, writes refused (DATA_LOSS), logged", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "se-rmdir-")), "data");
    const s = await startServer({ dataDir: dir });
    try {
      const scripts = clientFor(ScriptService, "grpc-js", s);
      await scripts.compileScript({ source: "1", context: { scriptId: "k" } });
      expect((await scripts.healthCheck({})).health!.status).toBe(ServiceStatus.HEALTHY);
      rmSync(dir, { recursive: true, force: true });
      let health = (await scripts.healthCheck({})).health!;
      for (const until = Date.now() + 5_000; health.status !== ServiceStatus.UNHEALTHY && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 100));
        health = (await scripts.healthCheck({})).health!;
      }
      const gone = `the data directory ${dir} was removed while the server ran (server.data_dir): writes are refused`;
      expect(health.status).toBe(ServiceStatus.UNHEALTHY);
      expect(health.message).toContain(`store: ${gone}`);
      expect(health.components.find((c) => c.name === "store")?.status).toBe(ServiceStatus.UNHEALTHY);
      const e = await failed(scripts.compileScript({ source: "2", context: { scriptId: "k" } }));
      expect([e.code, e.rawMessage]).toEqual([Code.DataLoss, expect.stringContaining(gone)]);
      // Writes outside a transaction (a registration) are refused too.
      const r = await failed(clientFor(RegistryService, "grpc-js", s).registerService({ service: { serviceId: "svc-1", serviceType: "X", endpoint: "127.0.0.1:1" } }));
      expect(r.code).toBe(Code.DataLoss);
      expect((await scripts.getScript({ scriptId: "k" })).script?.script?.version).toBe(1); // reads still answer
      // One error line, whatever the writes refused since.
      const said = s.logs().split("\n").filter((l) => l.includes('"level":"error"') && l.includes(gone));
      expect(said).toHaveLength(1);
      expect(JSON.parse(said[0]!)).toMatchObject({ key: "server.data_dir" });
    } finally {
      await s.stop();
    }
  });

  it("a deleted id compiled again after a restart goes on after its last version", async () => {
    const first = await startServer();
    const a = clientFor(ScriptService, "grpc-js", first);
    for (const source of ["1", "2"]) await a.compileScript({ source, context: { scriptId: "x" } });
    expect((await a.deleteScript({ scriptId: "x" })).versionsDeleted).toBe(2);
    expect(await first.stop()).toBe(0);
    const s = await startServer({ dataDir: first.dataDir });
    try {
      const b = clientFor(ScriptService, "grpc-js", s);
      expect((await b.compileScript({ source: "3", context: { scriptId: "x" } })).script?.version).toBe(3);
      expect(await failed(b.getScript({ scriptId: "x", version: 2 })).then((e) => e.code)).toBe(Code.NotFound);
    } finally {
      await s.stop();
    }
  });
});

describe("a data directory the store cannot use: one line saying what is wrong", () => {
  it("server.data_dir is a regular file (or under one)", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "se-notdir-")), "plain");
    writeFileSync(file, "x");
    expect(await startRefused(file)).toEqual([`scriptengine: cannot use ${file} (server.data_dir): it is not a directory`]);
    expect(await startRefused(join(file, "data"))).toEqual([`scriptengine: cannot use ${file}/data (server.data_dir): ${file} is not a directory`]);
  });

  it.each(["scriptengine.db", "scriptengine.db-wal"])("%s is a directory", async (name) => {
    const dir = mkdtempSync(join(tmpdir(), "se-dbdir-"));
    mkdirSync(join(dir, name));
    expect(await startRefused(dir)).toEqual([`scriptengine: cannot use ${dir} (server.data_dir): ${name} is a directory; it must be a regular file (the store's database)`]);
  });
});
