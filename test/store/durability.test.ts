// What the store acknowledges stays what it was: commits synced to disk (synchronous FULL: NORMAL
// left them in the unsynced -wal), a source changed on disk refused rather than run under the hash
// it no longer has (DATA_LOSS, health UNHEALTHY), and no (id, version) handed out twice (a deleted
// id compiled again went back to version 1).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { sourceHash as sha256 } from "../../src/engine/source.ts"; // source_hash as CompileScript computes it
import { openDatabase } from "../../src/store/database.ts";
import { recentStoreFault, resetStoreFaults } from "../../src/store/faults.ts";
import { ScriptRepository } from "../../src/store/scripts.ts";
import { ToolRepository, type StoredTool } from "../../src/store/tools.ts";

afterEach(() => resetStoreFaults());

const script = (scriptId: string, source: string) => ({
  scriptId, source, sourceHash: sha256(source), language: "javascript" as const, kind: "expression" as const, name: "", metadata: {},
  diagnostics: [], compiledAtMs: 1, compileTimeMs: 0, cacheKey: `k-${source}`,
});

const tool = (name: string, source: string, sourceHash = sha256(source)): StoredTool => ({
  toolId: `id-${name}`, name, description: "", inputSchema: null, outputSchema: null, version: "1", tags: [], securityLevel: "safe",
  source, language: "javascript", sourceHash, hostTools: [], migrationId: "m", metadata: {}, createdAtMs: 0, updatedAtMs: 0,
});

/** What a call throwing `fn` fails with. */
function failure(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return err as ConnectError;
  }
  return expect.fail("the read succeeded");
}

describe("the store's commits", () => {
  it("are synced (synchronous FULL: 2)", () => {
    const db = openDatabase(mkdtempSync(join(tmpdir(), "se-sync-")));
    try {
      expect((db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous).toBe(2);
    } finally {
      db.close();
    }
  });
});

describe("a stored source changed on disk", () => {
  it("script: GetScript's read is DATA_LOSS naming it and health's store damaged; a correct one is read once, then cached", () => {
    const db = new DatabaseSync(":memory:");
    const repo = new ScriptRepository(db);
    repo.add(script("s", "1 + 1"));
    repo.add(script("s", "2 + 2"));
    repo.add(script("ok", "3 + 3"));
    expect(repo.get("ok")?.source).toBe("3 + 3");
    // The same length, the hash kept: only the check can tell.
    db.exec("UPDATE scripts SET source = '6 * 7' WHERE script_id = 's' AND version = 2");
    db.exec("UPDATE scripts SET source = 'ouch!' WHERE script_id = 'ok'");
    for (const read of [() => repo.get("s"), () => repo.get("s", 2)]) {
      const e = failure(read);
      expect(e.code).toBe(Code.DataLoss);
      expect(e.rawMessage).toMatch(/^script s version 2: its stored source is damaged .*source_hash.*restore the store from a backup/);
      expect(e.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ resource: "store", script_id: "s", version: "2" });
    }
    expect(recentStoreFault()).toBe("damaged");
    expect(repo.get("s", 1)?.source).toBe("1 + 1"); // the intact version still serves
    expect(repo.get("ok")?.source).toBe("3 + 3"); // read before: from the cache, not hashed again
    // A new version over a damaged one is stored (it does not read the old source).
    expect(repo.add(script("s", "4 + 4")).stored.version).toBe(3);
    db.close();
  });

  it("tool: get and getById are DATA_LOSS naming it; a tool migrated without a source ('' and '') reads", () => {
    const db = new DatabaseSync(":memory:");
    const tools = new ToolRepository(db);
    tools.put(tool("t", "export default () => 1"));
    tools.put(tool("empty", "", ""));
    db.exec("UPDATE tools SET source = 'export default () => 2' WHERE name = 't'");
    for (const read of [() => tools.get("t"), () => tools.getById("id-t")]) {
      const e = failure(read);
      expect(e.code).toBe(Code.DataLoss);
      expect(e.rawMessage).toMatch(/^tool t: its stored source is damaged/);
      expect(e.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ resource: "store", tool: "t" });
    }
    expect(recentStoreFault()).toBe("damaged");
    expect(tools.has("t")).toBe(true); // told without its source
    expect(tools.get("empty")?.source).toBe("");
    expect(tools.list("", "", 10).map((t) => t.name)).toEqual(["empty", "t"]); // a listing loads no source
    db.close();
  });
});

describe("script versions", () => {
  it("are never handed out twice: a deleted id compiled again goes on after its last version, reopened too", () => {
    const db = new DatabaseSync(":memory:");
    const repo = new ScriptRepository(db);
    expect([repo.add(script("a", "1")).stored.version, repo.add(script("a", "2")).stored.version]).toEqual([1, 2]);
    expect(repo.delete("a").versions).toBe(2);
    expect(repo.get("a", 2)).toBeUndefined();
    expect(repo.add(script("a", "3")).stored.version).toBe(3);
    repo.delete("a");
    const reopened = new ScriptRepository(db);
    expect(reopened.add(script("a", "4")).stored.version).toBe(4);
    expect(reopened.add(script("b", "1")).stored.version).toBe(1); // other ids as before
    db.close();
  });

  it("with max_versions pruning, and in a store made before the last versions were kept", () => {
    const db = new DatabaseSync(":memory:");
    const old = new ScriptRepository(db, 2);
    for (let v = 1; v <= 3; v++) old.add(script("p", `${v}`));
    // A store from before: its scripts table, without script_versions.
    db.exec("DROP TABLE IF EXISTS script_versions");
    const upgraded = new ScriptRepository(db, 2);
    upgraded.delete("p");
    expect(upgraded.add(script("p", "again")).stored.version).toBe(4);
    db.close();
  });
});
