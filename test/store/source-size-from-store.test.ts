// ExecuteScript and every tool call check the stored source against max_source_size, and a source
// over a third of the limit in UTF-16 units was measured again at each of them (Buffer.byteLength:
// ~0.75 ms of the server's thread for 1 MiB of ASCII, ~2.6 ms of emoji). The store now reads the
// size with the row (octet_length, from the row's header), so a read script or tool is never walked.
import { afterEach, expect, it, vi } from "vitest";
import { DatabaseSync } from "node:sqlite";
import { ScriptRepository } from "../../src/store/scripts.ts";
import { ToolRepository, type StoredTool } from "../../src/store/tools.ts";
import { storedSourceOver } from "../../src/store/source-limit.ts";
import { sourceHash as sha256 } from "../../src/source-hash.ts";

afterEach(() => vi.restoreAllMocks());

const LIMIT = 1024 * 1024;
const big = "😀".repeat(200_000) + "x"; // 400,001 UTF-16 units: over a third of the limit, 800,001 bytes

it("a stored script's and a tool's size come from the store, not from a walk of the source", () => {
  const db = new DatabaseSync(":memory:");
  const scripts = new ScriptRepository(db);
  scripts.add({ scriptId: "s", source: big, sourceHash: sha256(big), language: "javascript", kind: "module", name: "", metadata: {}, diagnostics: [], compiledAtMs: 0, compileTimeMs: 0, cacheKey: "k" });
  const tools = new ToolRepository(db);
  const tool: StoredTool = {
    toolId: "t1", name: "t", description: "", inputSchema: null, outputSchema: null, version: "1", tags: [], securityLevel: "safe",
    source: big + "é", language: "javascript", sourceHash: sha256(big + "é"), hostTools: [], migrationId: "m", metadata: {}, createdAtMs: 0, updatedAtMs: 0,
  };
  tools.put(tool);
  const fresh = new ScriptRepository(db); // nothing read yet
  const walk = vi.spyOn(Buffer, "byteLength");
  const stored = fresh.get("s")!;
  const read = tools.get("t")!;
  expect(storedSourceOver(stored, LIMIT)).toBeUndefined();
  expect(storedSourceOver(stored, 800_000)?.size).toBe(800_001);
  expect(storedSourceOver(read, 800_001)?.size).toBe(800_003);
  expect(walk).not.toHaveBeenCalled();
  // A source the store did not size is measured once.
  const other = { source: big };
  expect(storedSourceOver(other, 800_000)?.size).toBe(800_001);
  expect(storedSourceOver(other, 800_000)?.size).toBe(800_001);
  expect(walk).toHaveBeenCalledTimes(1);
  db.close();
});
