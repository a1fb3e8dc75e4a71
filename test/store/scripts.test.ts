// The script store's read cache is bounded by the size of the sources it holds, not only by count:
// executions of many large stored scripts must not grow the server's memory without limit.
import { describe, expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { ScriptRepository } from "../../src/store/scripts.ts";

const MiB = 1048576;

describe("ScriptRepository", () => {
  it("keeps at most 64 MiB of recently read sources, and still answers every read from the store", () => {
    const repo = new ScriptRepository(new DatabaseSync(":memory:"));
    const body = "x".repeat(MiB - 64);
    for (let i = 0; i < 80; i++) {
      repo.add({
        scriptId: `big-${i}`, source: `// ${i}\n${body}`, sourceHash: `h${i}`, language: "javascript", kind: "expression", name: "", metadata: {},
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
