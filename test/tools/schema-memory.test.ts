// What the tool registry compiles is kept only as long as its cache or a registered tool needs it.
// ajv keeps every function an instance compiles, and the schema behind it, for the instance's life:
// with one instance for the whole server, the 500-entry schema cache bounded nothing (2,701 dry-run
// migrations of a changing schema: 5,400 compiled schemas in the heap, never given back).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/types.ts";
import type { Engine } from "../../src/engine/index.ts";
import type { StoredTool, ToolRepository } from "../../src/store/tools.ts";
import { MAX_SCHEMA_CACHE, SchemaValidator, ToolRegistry } from "../../src/tools/registry.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * How many of `refs` still hold their target after full collections: up to ten rounds, ending early
 * once none does (what is only held for a moment, by a job or a frame not yet left, goes in a later
 * round; what something keeps stays however many there are).
 */
async function alive(refs: WeakRef<object>[]): Promise<number> {
  let left = refs.length;
  for (let i = 0; i < 10 && left > 0; i++) {
    await new Promise((r) => setImmediate(r)); // WeakRefs hold their target until the job ends
    gc();
    await new Promise((r) => setImmediate(r)); // deref() below keeps its target for this job: read in the next
    left = refs.filter((r) => r.deref() !== undefined).length;
  }
  return left;
}

/** A schema of its own for each `i`; its `properties` object is what a compiled validator holds. */
const schema = (i: number) => ({ type: "object", properties: { [`a${i}`]: { type: "string", pattern: `^x${i}`, maxLength: i + 1 }, [`b${i}`]: { type: "integer" } } });

/**
 * WeakRefs to the `properties` of the schemas `use` is given, made in a function of its own: an
 * async test's frame would hold on to its last schema.
 */
function watched(n: number, use: (s: ReturnType<typeof schema>, i: number) => void): WeakRef<object>[] {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < n; i++) {
    const s = schema(i);
    refs.push(new WeakRef(s.properties));
    use(s, i);
  }
  return refs;
}

describe("SchemaValidator", () => {
  it("a schema the cache has let go is not kept by ajv", async () => {
    const v = new SchemaValidator();
    const refs = watched(20, (s) => v.firstRun(v.compile(s)));
    // The first 20 leave the cache.
    for (let i = 20; i < 20 + MAX_SCHEMA_CACHE; i++) v.compile(schema(i));
    expect(await alive(refs)).toBe(0);
    // Those still cached stay, and still check.
    const kept = schema(MAX_SCHEMA_CACHE);
    expect(v.errors(kept, { [`a${MAX_SCHEMA_CACHE}`]: 1 })).toEqual([`/a${MAX_SCHEMA_CACHE} must be string`]);
  }, 60_000);

  it("each schema compiles on its own: a `$ref` to its root with no $id, and an $id another schema had", () => {
    const v = new SchemaValidator();
    const list = { type: "object", properties: { n: { type: "integer" }, next: { $ref: "#" } } };
    expect(v.errors(list, { n: 1, next: { n: 2, next: { n: "3" } } })).toEqual(["/next/next/n must be integer"]);
    const id = "urn:example:shared";
    expect(v.errors({ $id: id, properties: { a: { type: "string" } } }, { a: 1 })).toEqual(["/a must be string"]);
    expect(v.errors({ $id: id, definitions: { b: { type: "boolean" } }, properties: { a: { $ref: `${id}#/definitions/b` } } }, { a: 1 })).toEqual(["/a must be boolean"]);
  });

  it("strict mode's look at a schema keeps nothing of it", async () => {
    const v = new SchemaValidator();
    const warnings: string[][] = [];
    const refs = watched(20, (s) => warnings.push(v.strictWarnings({ ...s, unknownKeyword: 1 })));
    expect(new Set(warnings.map((w) => w.join()))).toEqual(new Set(['strict mode: unknown keyword: "unknownKeyword"']));
    expect(await alive(refs)).toBe(0);
  });
});

describe("ToolRegistry", () => {
  /** A registry over an in-memory tool table, its schema cache already full of other schemas. */
  function registry() {
    const table = new Map<string, StoredTool>();
    const tools = { get: (n: string) => table.get(n), has: (n: string) => table.has(n), count: () => table.size } as unknown as ToolRepository;
    const schemas = new SchemaValidator();
    const reg = new ToolRegistry({ config: {} as Config, engine: {} as Engine, tools, schemas });
    const flush = () => {
      for (let i = 0; i < MAX_SCHEMA_CACHE; i++) schemas.compile({ type: "object", properties: { [`flush${Math.random()}`]: { type: "string" } } });
    };
    // Not inline in the tests, whose frames would keep the last tool.
    const register = (name: string, i: number) => {
      const t = { name, inputSchema: schema(i), outputSchema: { type: "object", properties: { [`out${i}`]: { type: "string" } } } } as unknown as StoredTool;
      table.set(name, t);
      reg.prepareSchemas(t).use();
      return [new WeakRef(t.inputSchema!.properties as object), new WeakRef(t.outputSchema!.properties as object)];
    };
    return { table, reg, flush, register };
  }

  it("a tool's validators go when it is migrated anew", async () => {
    const { flush, register } = registry();
    const old = register("t", 1);
    const now = register("t", 2);
    flush();
    expect(await alive(old)).toBe(0);
    expect(await alive(now)).toBe(2);
  }, 60_000);

  it("a removed tool's validators go once another tool's are kept", async () => {
    const { table, flush, register } = registry();
    const removed = register("gone", 1);
    const stays = register("stays", 2);
    table.delete("gone"); // a rollback of the tool's first migration
    register("next", 3);
    flush();
    expect(await alive(removed)).toBe(0);
    expect(await alive(stays)).toBe(2);
  }, 60_000);
});
