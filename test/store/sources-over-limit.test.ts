// The store's open reads its byte total and the sources over max_source_size in one pass, sized
// from each row's header (octet_length): the sizes must still be UTF-8 bytes, whatever the characters.
import { expect, it } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { ScriptRepository } from "../../src/store/scripts.ts";

const script = (scriptId: string, source: string, name = "") => ({
  scriptId, source, sourceHash: "h", language: "javascript" as const, kind: "expression" as const, name, metadata: { k: "é" },
  diagnostics: [], compiledAtMs: 0, compileTimeMs: 0, cacheKey: "k",
});

it("counts the scripts and versions whose source is over the limit in UTF-8 bytes, at open, beside the byte total", () => {
  const db = new DatabaseSync(":memory:");
  const written = new ScriptRepository(db);
  const big = "€".repeat(40_000); // 120,000 bytes: the value overflows its page
  written.add(script("a", "€€€")); // 9 bytes
  written.add(script("a", "€€€a")); // 10
  written.add(script("b", "😀😀a", "ß")); // 9
  written.add(script("c", big));
  written.add(script("c", `${big}a`));
  expect(written.sourcesOverLimit).toEqual({ scripts: 0, versions: 0 }); // no limit given
  const opened = (limit: number) => new ScriptRepository(db, 0, 0, limit);
  expect(opened(9).sourcesOverLimit).toEqual({ scripts: 2, versions: 3 });
  expect(opened(8).sourcesOverLimit).toEqual({ scripts: 3, versions: 5 });
  expect(opened(10).sourcesOverLimit).toEqual({ scripts: 1, versions: 2 });
  expect(opened(120_000).sourcesOverLimit).toEqual({ scripts: 1, versions: 1 });
  expect(opened(120_001).sourcesOverLimit).toEqual({ scripts: 0, versions: 0 });
  // The total read at open is the one each add kept, counted from the JavaScript strings.
  expect(opened(9).bytes).toBe(written.bytes);
  expect(written.list("", 10).map((s) => [s.scriptId, s.sourceSize])).toEqual([["a", 10], ["b", 9], ["c", 120_001]]);
});
