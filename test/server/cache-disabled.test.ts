// enable_caching = false (and max_cache_size = 0) mean no compile cache: every run compiles its
// source, nothing is reported as a cache hit, and scripts (stored, ad hoc, TypeScript) still run.
import { afterEach, describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ScriptLanguage } from "../../gen/ts/scriptengine/v1/script_pb.js";
import type { Engine } from "../../src/engine/index.ts";
import { clientFor } from "../helpers/clients.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { run, startEngine } from "../engine/helpers.ts";

describe("the engine with maxCacheSize 0", () => {
  let engine: Engine | undefined;
  afterEach(async () => { await engine?.close(); engine = undefined; }, 60_000);

  it("keeps nothing and reports no hit, for compiles (sequential or concurrent) and runs", async () => {
    engine = await startEngine({ workers: 1, maxCacheSize: 0 });
    const source = "export default function main(a) { return a.n * 2 }";
    const compiles = [await engine.compile(source), ...(await Promise.all([engine.compile(source), engine.compile(source)]))];
    expect(compiles.map((c) => c.cacheHit)).toEqual([false, false, false]);
    for (let n = 1; n <= 3; n++) {
      const r = await run(engine, source, { arguments: { n } });
      expect(r.returnValue).toBe(2 * n);
      expect(r.metadata.cacheHit).toBe(false);
    }
    // As RunScript does: compile, then run with the compile's key.
    const c = await engine.compile("const x: number = 20; x + 1", { language: "typescript" });
    const r = await run(engine, "const x: number = 20; x + 1", { language: "typescript", cacheKey: c.cacheKey, compiledCacheHit: c.cacheHit });
    expect(r.returnValue).toBe(21);
    expect(r.metadata.cacheHit).toBe(false);
    const s = engine.stats();
    expect(s.cacheHits).toBe(0);
    expect(s.cacheSize).toBe(0);
  }, 60_000);
});

describe.each([["enable_caching=false"], ["max_cache_size=0"]])("a server with %s", (setting) => {
  const server = serverForTests({ args: ["--set", setting, "--set", "pool.workers=1"] }, { checkExit: false, timeout: 60_000 });

  it("reports no cache hits, and runs every script right", async () => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    for (let n = 1; n <= 3; n++) {
      const { result } = await scripts.runScript({ source: `export default function main(a) { return a.n + 1 }`, context: { arguments: { n: { kind: { case: "numberValue", value: n } } } } });
      expect(result!.success).toBe(true);
      expect(toJson(ValueSchema, result!.returnValue!)).toBe(n + 1);
      expect(toJson(ValueSchema, result!.metadata.cache_hit!)).toBe(false);
    }
    const compiled = await scripts.compileScript({ source: "const y: number = 4; y * 10", context: { scriptId: "ts-nocache", language: ScriptLanguage.TYPESCRIPT } });
    expect(compiled.script!.cacheHit).toBe(false);
    for (let i = 0; i < 2; i++) {
      const { result } = await scripts.executeScript({ scriptId: "ts-nocache" });
      expect(toJson(ValueSchema, result!.returnValue!)).toBe(40);
      expect(toJson(ValueSchema, result!.metadata.cache_hit!)).toBe(false);
    }
    const again = await scripts.compileScript({ source: "const y: number = 4; y * 10", context: { scriptId: "ts-nocache-2", language: ScriptLanguage.TYPESCRIPT } });
    expect(again.script!.cacheHit).toBe(false);
    const m = (await scripts.getMetrics({})).metrics!;
    expect(m.cacheHits).toBe(0n);
    expect(m.cacheSize).toBe(0n);
    expect(m.cacheHitRate).toBe(0);
  }, 60_000);
});
