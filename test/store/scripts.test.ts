// The script store's read cache is bounded by the size of the sources it holds, not only by count:
// executions of many large stored scripts must not grow the server's memory without limit.
import { describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { sourceHash as sha256 } from "../../src/source-hash.ts";
import { ScriptRepository } from "../../src/store/scripts.ts";

const MiB = 1048576;

describe("ScriptRepository", () => {
  it("keeps at most 64 MiB of recently read sources, and still answers every read from the store", () => {
    const repo = new ScriptRepository(new DatabaseSync(":memory:"));
    const body = "x".repeat(MiB - 64);
    for (let i = 0; i < 80; i++) {
      repo.add({
        scriptId: `big-${i}`, source: `// ${i}\n${body}`, sourceHash: sha256(`// ${i}\n${body}`), language: "javascript", kind: "expression", name: "", metadata: {},
        diagnostics: [], compiledAtMs: 0, compileTimeMs: 0, cacheKey: `k${i}`,
      });
    }
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 80; i++) expect(repo.get(`big-${i}`)?.source.startsWith(`// ${i}\n`)).toBe(true);
    }
    // 80 sources of 1 MiB are 160 MiB as UTF-16 strings.
    expect(repo.recentBytes).toBeGreaterThan(0);
    expect(repo.recentBytes).toBeLessThanOrEqual(64 * MiB);
  });
});

describe("ScriptRepository versions", () => {
  const script = (id: string, at: number) => ({
    scriptId: id, source: `${at}`, sourceHash: sha256(`${at}`), language: "javascript" as const, kind: "expression" as const, name: "", metadata: {},
    diagnostics: [], compiledAtMs: at, compileTimeMs: 0, cacheKey: `k${at}`,
  });

  it("keeps the latest max_versions versions of each id; created_at stays the first version's", () => {
    const repo = new ScriptRepository(new DatabaseSync(":memory:"), 3);
    repo.add(script("a", 1000));
    expect(repo.get("a", 1)?.source).toBe("1000"); // read (and cached) before it is pruned
    for (let v = 2; v <= 5; v++) repo.add(script("a", 1000 * v));
    repo.add(script("b", 7));
    expect([1, 2, 3, 4, 5].map((v) => repo.get("a", v)?.version)).toEqual([undefined, undefined, 3, 4, 5]);
    expect(repo.get("a")).toMatchObject({ version: 5, createdAtMs: 1000 });
    expect(repo.get("b")).toMatchObject({ version: 1, createdAtMs: 7 });
  });

  it("keeps every version with max_versions 0", () => {
    const repo = new ScriptRepository(new DatabaseSync(":memory:"), 0);
    for (let v = 1; v <= 120; v++) repo.add(script("a", v));
    expect(repo.get("a", 1)?.version).toBe(1);
  });

  it("a store written before created_at was kept gets it from each script's oldest version", () => {
    const db = new DatabaseSync(":memory:");
    db.exec(`CREATE TABLE scripts (script_id TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL, source_hash TEXT NOT NULL,
      language TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, metadata_json TEXT NOT NULL, diagnostics_json TEXT NOT NULL,
      compiled_at_ms INTEGER NOT NULL, compile_time_ms REAL NOT NULL, cache_key TEXT NOT NULL, PRIMARY KEY (script_id, version))`);
    const insert = db.prepare(`INSERT INTO scripts VALUES (?, ?, '1', '${sha256("1")}', 'javascript', 'expression', '', '{}', '[]', ?, 0, 'k')`);
    insert.run("old", 1, 111);
    insert.run("old", 2, 222);
    const repo = new ScriptRepository(db, 100);
    expect(repo.get("old")).toMatchObject({ version: 2, createdAtMs: 111 });
    repo.add(script("old", 333));
    expect(repo.get("old")).toMatchObject({ version: 3, createdAtMs: 111 });
  });
});
